#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""An OTLP/HTTP trace receiver on loopback that decodes every request against the official schema.

  receiver.py decode pb|json FILE      prints the request in FILE as one normalized JSON object
  receiver.py serve PORTFILE LOG MODE  serves POST /v1/traces on 127.0.0.1, an ephemeral port written
                                       to PORTFILE; one JSON line per request appended to LOG

The schema is tests/otlp/proto (the official .proto files, unchanged), compiled by protoc at start
into Python modules for Debian's python3-protobuf. A protobuf body must parse and hold no field the
schema does not know (one out of place is an unknown field: it fails); an OTLP/JSON body must pass
json_format.Parse (unknown names, wrong types fail). Normalized: ids in lowercase hex, attributes
as {key: value}.

MODE: ok; fail500 or fail400 (every request); retryN (the first N answered 503 with Retry-After: 1,
then ok); hold (503 with Retry-After: 30, always); close (the connection closed once the body is read, no answer); slow (no answer for 60 s).
"""
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, 'proto')
FILES = ['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/trace/v1/trace.proto',
         'opentelemetry/proto/common/v1/common.proto', 'opentelemetry/proto/resource/v1/resource.proto']


def load_schema():
    out = tempfile.mkdtemp(prefix='otlp-pb2-')
    try:
        subprocess.run(['protoc', '-I', PROTO, '--python_out=' + out] + FILES, check=True)
    except FileNotFoundError:
        sys.exit('receiver: no protoc (Debian package protobuf-compiler)')
    sys.path.insert(0, out)
    try:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    finally:
        # imported whole: the generated files are not needed past here (the receiver dies of SIGKILL)
        sys.path.remove(out)
        shutil.rmtree(out, ignore_errors=True)
    return trace_service_pb2


def value(v):
    kind = v.WhichOneof('value')
    return getattr(v, kind) if kind else None


def attrs(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


def normalize(req, ids):
    """The request as plain JSON; ids(span, field) gives a span's id field in hex."""
    out = {'resource_spans': []}
    for rs in req.resource_spans:
        r = {'resource': attrs(rs.resource.attributes), 'scopes': []}
        for ss in rs.scope_spans:
            s = {'name': ss.scope.name, 'version': ss.scope.version, 'spans': []}
            for i, sp in enumerate(ss.spans):
                s['spans'].append({
                    'trace_id': ids(len(out['resource_spans']), len(r['scopes']), i, 'traceId', sp.trace_id),
                    'span_id': ids(len(out['resource_spans']), len(r['scopes']), i, 'spanId', sp.span_id),
                    'parent_span_id': ids(len(out['resource_spans']), len(r['scopes']), i, 'parentSpanId',
                                          sp.parent_span_id) or None,
                    'name': sp.name, 'kind': sp.kind, 'start': sp.start_time_unix_nano,
                    'end': sp.end_time_unix_nano, 'status_code': sp.status.code,
                    'has_status': sp.HasField('status'), 'attributes': attrs(sp.attributes)})
            r['scopes'].append(s)
        out['resource_spans'].append(r)
    return out


def decode(pb2, fmt, body):
    """The normalized request, or raises ValueError naming what does not fit the schema."""
    from google.protobuf import json_format
    req = pb2.ExportTraceServiceRequest()
    if fmt == 'json':
        raw = json.loads(body)
        try:
            json_format.Parse(body, req)
        except json_format.ParseError as e:
            raise ValueError('OTLP/JSON does not fit the schema: %s' % e)

        def ids(r, s, i, field, _):
            # OTLP/JSON ids are hex (not the base64 of the protobuf mapping): read them as sent
            v = raw['resourceSpans'][r]['scopeSpans'][s]['spans'][i].get(field, '')
            if v and (len(v) not in (16, 32) or v.lower() != v or any(c not in '0123456789abcdef' for c in v)):
                raise ValueError('%s is no lowercase hex id: %r' % (field, v))
            return v
        return normalize(req, ids)
    req.ParseFromString(body)
    whole = len(req.SerializeToString())
    req.DiscardUnknownFields()
    if len(req.SerializeToString()) != whole or whole != len(body):
        raise ValueError('fields the schema does not know, or not encoded as it says (%d bytes, %d re-encoded)'
                         % (len(body), whole))
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                if len(sp.trace_id) != 16 or len(sp.span_id) != 8 or len(sp.parent_span_id) not in (0, 8):
                    raise ValueError('ids of the wrong length in span %r' % sp.name)
    return normalize(req, lambda r, s, i, field, b: b.hex())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def answer(self, code, body=b'', extra=()):
        self.send_response(code)
        self.send_header('Content-Type', self.headers.get('Content-Type', 'application/x-protobuf'))
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        srv = self.server
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        with srv.lock:
            srv.count += 1
            n = srv.count
        entry = {'n': n, 'path': self.path, 'headers': {k.lower(): v for k, v in self.headers.items()},
                 'bytes': len(body), 'at': time.time()}
        mode = srv.mode
        if mode == 'close':
            entry['answer'] = 'closed'
            srv.log(entry)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == 'slow':
            entry['answer'] = 'slow'
            srv.log(entry)
            time.sleep(60)
            return
        try:
            data = gzip.decompress(body) if self.headers.get('Content-Encoding') == 'gzip' else body
            ctype = self.headers.get('Content-Type', '')
            fmt = 'json' if ctype == 'application/json' else 'pb' if ctype == 'application/x-protobuf' else None
            if fmt is None:
                raise ValueError('Content-Type %r' % ctype)
            entry['request'] = decode(srv.pb2, fmt, data)
        except Exception as e:  # the test fails on any entry with an error
            entry['error'] = '%s: %s' % (type(e).__name__, e)
        if (mode.startswith('retry') and n <= int(mode[5:])) or mode == 'hold':
            entry['answer'] = 503
            srv.log(entry)
            self.answer(503, extra=[('Retry-After', '30' if mode == 'hold' else '1')])
        elif mode in ('fail500', 'fail400'):
            entry['answer'] = int(mode[4:])
            srv.log(entry)
            self.answer(entry['answer'])
        else:
            entry['answer'] = 400 if 'error' in entry else 200
            srv.log(entry)
            self.answer(entry['answer'], b'{}' if self.headers.get('Content-Type') == 'application/json' else b'')


def serve(port_file, log_path, mode):
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.daemon_threads = True
    srv.pb2 = load_schema()
    srv.mode = mode
    srv.count = 0
    srv.lock = threading.Lock()
    out = open(log_path, 'a')

    def log(entry):
        with srv.lock:
            out.write(json.dumps(entry) + '\n')
            out.flush()
    srv.log = log
    tmp = port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % srv.server_address[1])
    os.rename(tmp, port_file)
    print('receiver: listening', flush=True)
    srv.serve_forever()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == 'decode':
        pb2 = load_schema()
        with open(sys.argv[3], 'rb') as f:
            body = f.read()
        try:
            print(json.dumps(decode(pb2, sys.argv[2], body)))
        except Exception as e:
            print('receiver: %s: %s' % (type(e).__name__, e), file=sys.stderr)
            return 1
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == 'serve':
        serve(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
