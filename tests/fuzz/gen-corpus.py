#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/<target>/.

The ELF seeds are small real files built here (cc, strip, objcopy; clang and ld.lld for the 32-bit
and big-endian ones when present), then truncated and corrupted the ways a hostile target could:
bad e_shoff, bad sh_link and st_name, a duplicate .shstrtab, SHF_COMPRESSED sections good and bogus,
huge sh_size, overlapping sections. The outputs are committed (compilers differ); run this again
only to change the seeds. Files named crash-* are inputs that once crashed a parser: never removed.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

LIB_SRC = r"""
static int __attribute__((noinline)) local_fn(int x) { return x * 3 + 1; }
int global_fn(int x) { return local_fn(x) + 1; }
static int __attribute__((used, alias("global_fn"))) local_alias(int);
int versioned_impl(int x) { return x ^ 5; }
__asm__(".symver versioned_impl, versioned_fn@@V1");
static int impl(int x) { return x - 1; }
static void *resolve(void) { return (void *)impl; }
int ifunc_fn(int) __attribute__((ifunc("resolve")));
extern int rand(void);
int calls_out(void) { return rand(); }
"""
EXE_SRC = r"""
static int __attribute__((noinline)) spin(int n) { int s = 0; for (int i = 0; i < n; i++) s += i; return s; }
int main(int argc, char **argv) { (void)argv; return spin(argc) & 1; }
"""
CROSS_SRC = r"""
int cross_fn(int x) { return x + 1; }
static int __attribute__((noinline)) cross_local(int x) { return x * 2; }
int cross_calls(int x) { return cross_local(x); }
"""
VERSION_SCRIPT = "V1 { global: *; };\n"


def sh(*cmd, cwd=None):
    subprocess.run(cmd, check=True, cwd=cwd)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


class Elf64:
    """The little-endian 64-bit ELF header and section headers, editable in place."""
    EH = struct.Struct("<16sHHIQQQIHHHHHH")
    SH = struct.Struct("<IIQQQQIIQQ")
    SH_FIELDS = ("name", "type", "flags", "addr", "offset", "size", "link", "info", "addralign",
                 "entsize")

    def __init__(self, data):
        self.b = bytearray(data)
        (_, _, _, _, _, self.phoff, self.shoff, _, _, _, self.phnum, _, self.shnum,
         self.shstrndx) = self.EH.unpack_from(self.b)

    def shdr(self, i):
        return dict(zip(self.SH_FIELDS, self.SH.unpack_from(self.b, self.shoff + i * 64)))

    def set_shdr(self, i, **kw):
        h = self.shdr(i)
        h.update(kw)
        self.SH.pack_into(self.b, self.shoff + i * 64, *(h[f] for f in self.SH_FIELDS))

    def name(self, i):
        strtab = self.shdr(self.shstrndx)
        at = strtab["offset"] + self.shdr(i)["name"]
        return bytes(self.b[at:self.b.index(b"\0", at)]).decode()

    def find(self, name):
        return next(i for i in range(self.shnum) if self.name(i) == name)

    def set_ehdr(self, field, fmt, value):
        offsets = {"e_phoff": 32, "e_shoff": 40, "e_phnum": 56, "e_shnum": 60, "e_shstrndx": 62}
        struct.pack_into(fmt, self.b, offsets[field], value)

    def data(self, i):
        h = self.shdr(i)
        return bytes(self.b[h["offset"]:h["offset"] + h["size"]])

    def append(self, blob):
        """Appends blob (8-aligned) and returns its offset; section headers stay where they are."""
        self.b += b"\0" * (-len(self.b) % 8)
        at = len(self.b)
        self.b += blob
        return at


SHF_COMPRESSED = 0x800
CHDR = struct.Struct("<IIQQ")	# Elf64_Chdr: ch_type, ch_reserved, ch_size, ch_addralign


def corrupt(name, data, edit):
    e = Elf64(data)
    edit(e)
    write("elfsyms", name, bytes(e.b))


def compressed(e, sec, ch_type=1, ch_size=None, payload=None):
    raw = e.data(sec)
    blob = CHDR.pack(ch_type, 0, len(raw) if ch_size is None else ch_size, 8)
    blob += zlib.compress(raw) if payload is None else payload
    h = e.shdr(sec)
    e.set_shdr(sec, offset=e.append(blob), size=len(blob), flags=h["flags"] | SHF_COMPRESSED)


def elf_seeds(tmp):
    def path(n):
        return os.path.join(tmp, n)

    with open(path("lib.c"), "w") as f:
        f.write(LIB_SRC)
    with open(path("exe.c"), "w") as f:
        f.write(EXE_SRC)
    with open(path("cross.c"), "w") as f:
        f.write(CROSS_SRC)
    with open(path("lib.map"), "w") as f:
        f.write(VERSION_SCRIPT)
    small = ["-Wl,-z,noseparate-code", "-Wl,-z,norelro", "-Wl,--hash-style=gnu"]
    sh("cc", "-O1", "-fPIC", "-shared", "-Wl,--build-id", "-Wl,--version-script=" + path("lib.map"),
       *small, path("lib.c"), "-o", path("tiny.so"))
    sh("cc", "-O1", "-Wl,--build-id", *small, path("exe.c"), "-o", path("tiny-pie"))
    sh("cc", "-O1", "-no-pie", "-Wl,--build-id=none", *small, path("exe.c"), "-o", path("tiny-nopie"))
    sh("cc", "-O1", "-g1", "-gz=zlib", "-Wl,--build-id", *small, path("exe.c"), "-o", path("tiny-gz"))
    sh("strip", "--strip-all", "-o", path("tiny-stripped.so"), path("tiny.so"))
    sh("strip", "--strip-all", "-o", path("tiny-nopie-stripped"), path("tiny-nopie"))
    sh("objcopy", "--only-keep-debug", path("tiny.so"), path("tiny.so.debug"))
    shutil.copy(path("tiny-stripped.so"), path("tiny-debuglink.so"))
    sh("objcopy", "--add-gnu-debuglink=tiny.so.debug", "tiny-debuglink.so", cwd=tmp)
    real = ["tiny.so", "tiny-pie", "tiny-nopie", "tiny-gz", "tiny-stripped.so", "tiny-nopie-stripped",
            "tiny.so.debug", "tiny-debuglink.so"]
    # other classes and byte orders: libelf converts, and we read through gelf_*
    for target, out in (("i386-linux-gnu", "cross-i386.so"), ("powerpc64-linux-gnu", "cross-ppc64be.so"),
                        ("aarch64_be-linux-gnu", "cross-aarch64be.o")):
        if not shutil.which("clang") or not shutil.which("ld.lld"):
            break
        link = ["-c"] if out.endswith(".o") else ["-fuse-ld=lld", "-nostdlib", "-shared",
                                                  "-Wl,--build-id"]
        sh("clang", "--target=" + target, "-O1", "-fPIC", *link, path("cross.c"), "-o", path(out))
        real.append(out)
    for n in real:
        with open(path(n), "rb") as f:
            write("elfsyms", n, f.read())

    with open(path("tiny.so"), "rb") as f:
        lib = f.read()
    e = Elf64(lib)
    symtab, strtab, dynsym = e.find(".symtab"), e.find(".strtab"), e.find(".dynsym")
    text, note = e.find(".text"), e.find(".note.gnu.build-id")

    for cut in (16, 200, len(lib) // 2, e.shoff + 64 * 3, len(lib) - 1):
        write("elfsyms", "trunc-%d" % cut, lib[:cut])
    # no symbol at all: elf_syms__open passed qsort a NULL array (UBSan)
    write("elfsyms", "crash-no-symbols-qsort-null", lib[:64])

    # section headers out of the file, or half in it
    corrupt("shoff-past-end", lib, lambda e: e.set_ehdr("e_shoff", "<Q", len(e.b) + 0x1000))
    corrupt("shoff-straddles-end", lib, lambda e: e.set_ehdr("e_shoff", "<Q", len(e.b) - 10))
    corrupt("shoff-max", lib, lambda e: e.set_ehdr("e_shoff", "<Q", 2**64 - 1))
    corrupt("shnum-huge", lib, lambda e: e.set_ehdr("e_shnum", "<H", 0xfeff))
    # extended numbering: e_shnum 0, the count in section 0's sh_size; e_shstrndx in its sh_link
    def extended(e):
        e.set_ehdr("e_shnum", "<H", 0)
        e.set_ehdr("e_shstrndx", "<H", 0xffff)
        e.set_shdr(0, size=2**40, link=0xffffffff)
    corrupt("shnum-extended-huge", lib, extended)
    corrupt("shstrndx-out-of-range", lib, lambda e: e.set_ehdr("e_shstrndx", "<H", 0xfeff))
    corrupt("phoff-past-end", lib, lambda e: e.set_ehdr("e_phoff", "<Q", len(e.b) + 8))
    def phnum_xnum(e):
        e.set_ehdr("e_phnum", "<H", 0xffff)
        e.set_shdr(0, info=0xffffffff)
    corrupt("phnum-xnum-huge", lib, phnum_xnum)

    # sh_link of the symbol table: out of range, itself, a section that is no string table
    corrupt("symtab-link-out-of-range", lib, lambda e: e.set_shdr(symtab, link=999))
    corrupt("symtab-link-self", lib, lambda e: e.set_shdr(symtab, link=symtab))
    corrupt("symtab-link-text", lib, lambda e: e.set_shdr(symtab, link=text))
    corrupt("dynsym-link-zero", lib, lambda e: e.set_shdr(dynsym, link=0))
    # st_name past the string table, and a string table without its final NUL
    def bad_st_name(e):
        h = e.shdr(symtab)
        for at in range(h["offset"], h["offset"] + h["size"], 24):
            struct.pack_into("<I", e.b, at, 0xfffffff0 if at % 48 else e.shdr(strtab)["size"] - 1)
    corrupt("st-name-past-strtab", lib, bad_st_name)
    def unterminated(e):
        h = e.shdr(strtab)
        e.b[h["offset"] + h["size"] - 1] = ord("x")
    corrupt("strtab-unterminated", lib, unterminated)
    corrupt("strtab-empty", lib, lambda e: e.set_shdr(strtab, size=0))
    # symbols pointing at sections that are not there, unsized ones in a section reaching 2^64
    def bad_shndx(e):
        h = e.shdr(symtab)
        for n, at in enumerate(range(h["offset"], h["offset"] + h["size"], 24)):
            struct.pack_into("<H", e.b, at + 6, (0xfff1, 0xffff, 0x7777, text)[n % 4])
    corrupt("st-shndx-bogus", lib, bad_shndx)
    def unsized(e):
        h = e.shdr(symtab)
        for at in range(h["offset"], h["offset"] + h["size"], 24):
            struct.pack_into("<Q", e.b, at + 16, 0)
        e.set_shdr(text, addr=2**64 - 0x100, size=2**64 - 1)
    corrupt("unsized-in-huge-section", lib, unsized)
    def wrapping(e):
        h = e.shdr(symtab)
        for at in range(h["offset"], h["offset"] + h["size"], 24):
            struct.pack_into("<QQ", e.b, at + 8, 2**64 - 0x10, 2**63)
    corrupt("symbols-wrap-around", lib, wrapping)

    # duplicate .shstrtab: e_shstrndx names the symbol string table, or a second table does
    corrupt("shstrndx-is-strtab", lib, lambda e: e.set_ehdr("e_shstrndx", "<H", strtab))
    def dup_shstrtab(e):
        h = e.shdr(e.shstrndx)
        e.set_shdr(note, type=3, offset=h["offset"], size=h["size"], name=h["name"], flags=0)
    corrupt("shstrtab-duplicate", lib, dup_shstrtab)
    def two_symtabs(e):
        h = e.shdr(symtab)
        e.set_shdr(note, **{k: h[k] for k in ("type", "offset", "size", "link", "entsize")})
    corrupt("symtab-duplicate", lib, two_symtabs)

    # SHF_COMPRESSED: a good zlib .symtab, and bogus ones
    corrupt("symtab-compressed", lib, lambda e: compressed(e, symtab))
    corrupt("symtab-compressed-zstd-type", lib, lambda e: compressed(e, symtab, ch_type=2))
    corrupt("symtab-compressed-huge-size", lib, lambda e: compressed(e, symtab, ch_size=2**40))
    corrupt("symtab-compressed-bad-stream", lib,
            lambda e: compressed(e, symtab, payload=b"\x78\x9c" + b"\xff" * 64))
    corrupt("symtab-compressed-short-size", lib, lambda e: compressed(e, symtab, ch_size=5))
    def flag_only(e):
        e.set_shdr(symtab, flags=e.shdr(symtab)["flags"] | SHF_COMPRESSED)
        e.set_shdr(note, flags=SHF_COMPRESSED)
    corrupt("compressed-flag-no-header", lib, flag_only)
    corrupt("compressed-tiny-section", lib, lambda e: e.set_shdr(dynsym, flags=SHF_COMPRESSED, size=8))
    # a compression bomb: 4 MB of zeroes claimed by a few kB
    def bomb(e):
        h = e.shdr(symtab)
        raw = bytes(e.data(symtab)) + b"\0" * (4 << 20)
        blob = CHDR.pack(1, 0, len(raw), 8) + zlib.compress(raw, 9)
        e.set_shdr(symtab, offset=e.append(blob), size=len(blob), flags=h["flags"] | SHF_COMPRESSED)
    corrupt("symtab-compressed-bomb", lib, bomb)

    # sizes past the file, odd entry sizes
    corrupt("symtab-size-huge", lib, lambda e: e.set_shdr(symtab, size=2**63))
    corrupt("dynsym-size-huge", lib, lambda e: e.set_shdr(dynsym, size=2**64 - 24))
    corrupt("note-size-huge", lib, lambda e: e.set_shdr(note, size=2**62))
    corrupt("symtab-entsize-1", lib, lambda e: e.set_shdr(symtab, entsize=1))
    corrupt("symtab-entsize-huge", lib, lambda e: e.set_shdr(symtab, entsize=2**32 - 1))
    corrupt("symtab-offset-max", lib, lambda e: e.set_shdr(symtab, offset=2**64 - 8))
    # overlapping sections: the symbol table over its strings, over the ELF header, over itself
    corrupt("symtab-over-strtab", lib,
            lambda e: e.set_shdr(symtab, offset=e.shdr(strtab)["offset"]))
    corrupt("dynsym-over-ehdr", lib, lambda e: e.set_shdr(dynsym, offset=0))
    corrupt("strtab-over-symtab", lib,
            lambda e: e.set_shdr(strtab, offset=e.shdr(symtab)["offset"]))
    corrupt("shdrs-over-symtab", lib, lambda e: e.set_shdr(symtab, offset=e.shoff))

    # build-id notes: too long, empty, sizes past the section
    def note_sizes(namesz, descsz):
        def edit(e):
            struct.pack_into("<II", e.b, e.shdr(note)["offset"], namesz, descsz)
        return edit
    corrupt("note-descsz-huge", lib, note_sizes(4, 0xfffffff0))
    corrupt("note-descsz-zero", lib, note_sizes(4, 0))
    corrupt("note-descsz-65", lib, note_sizes(4, 65))
    corrupt("note-namesz-huge", lib, note_sizes(0xffffffff, 20))

    # a debuglink naming the file itself, a directory, and no NUL at all
    with open(path("tiny-debuglink.so"), "rb") as f:
        dl = f.read()
    d = Elf64(dl)
    link = d.find(".gnu_debuglink")
    def debuglink(name):
        def edit(e):
            h = e.shdr(link)
            e.b[h["offset"]:h["offset"] + h["size"]] = name.ljust(h["size"], b"\0")[:h["size"]]
        return edit
    corrupt("debuglink-self", dl, debuglink(b"target\0"))
    corrupt("debuglink-dotdot", dl, debuglink(b"..\0"))
    corrupt("debuglink-no-nul", dl, debuglink(b"x" * 64))


def text_seeds():
    seeds = {
        "ascii": b"\x40plain_ascii::name()",
        "utf8": b"\xff" + "caf\u00e9 \u20ac \U0001f525 \U0010ffff".encode(),
        "invalid": b"\x20a\x80b\xc0\xafc\xe0\x80\xafd\xed\xa0\x80e\xf4\x90\x80\x80f\xf8\x88\x80\x80\x80",
        "truncated-seq": b"\x05ab\xe2\x82\xac\xe2\x82",
        "controls": b"\x80\x1b[31mred\x1b[0m\x07\x7f\xc2\x9b2J\xc2\x85\xc2\xa0\r\n\t",
        "frames": b"\x30main\0do_work;x\0leaf\nline\0\0caf\xc3\xa9\0\xc2\x9b\x1b",
        "boundary": b"\x04\xf0\x9f\x94\xa5\xf0\x9f\x94\xa5",
        "zero-len": b"\x00abc",
        # folded__write of nothing passed qsort a NULL array (UBSan)
        "crash-folded-empty-qsort-null": b"\x10a",
    }
    for name, data in seeds.items():
        write("text", name, data)


def pyobj_seeds():
    """Location tables as CPython 3.11 writes them, and str data of each kind."""
    def seed(kind_size, first, addr, body):
        return bytes([kind_size]) + struct.pack("<iI", first, addr) + body
    table_f = bytes.fromhex("8000d8080988418905804 1d8070888328276807 6d80c25d00c259d45a0219948 9c48d00c25d10c25d40c25"
                            "88018801e00c108801e00c0dd80c0df003010c0ff00001050f".replace(" ", ""))
    long_form = bytes.fromhex("8000d80809804 1f05a0900090a8041d80b0c8871893580 4c".replace(" ", ""))
    seeds = {
        "table-f": seed(0xfc, 1, 24, table_f),
        "table-long-form": seed(0xfc, 1, 6, long_form),
        "table-no-location": seed(0x40, 10, 2, bytes([0xd0, 0, 0, 0xf8, 0xe8, 0x07, 0xe0, 1, 2])),
        "str-ucs2": seed(0x41, 0, 0, "\u043b\u044f".encode("utf-16-le")),
        "str-ucs4": seed(0x22, 0, 0, "\U0001f600".encode("utf-32-le") + b"\x00\xd8\x00\x00"),
        "varint-long": seed(0xf0, 1, 0, b"\xf0" + b"\x7f" * 40),
    }
    for name, data in seeds.items():
        write("pyobj", name, data)


def procmaps_seeds():
    maps = (
        b"55d0c8a00000-55d0c8a02000 r--p 00000000 fd:01 1054 /usr/bin/hot8020\n"
        b"55d0c8a02000-55d0c8a03000 r-xp 00002000 fd:01 1054 /usr/bin/hot8020\n"
        b"55d0c9b3b000-55d0c9b5c000 rw-p 00000000 00:00 0                          [heap]\n"
        b"7f1c3e400000-7f1c3e428000 r--p 00000000 fd:01 2099 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        b"7f1c3e428000-7f1c3e5bd000 r-xp 00028000 fd:01 2099 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        b"7f1c3e700000-7f1c3e701000 r-xp 00000000 00:05 4242 /memfd:jit (deleted)\n"
        b"7f1c3e702000-7f1c3e703000 r-xp 00001000 08:02 77 /tmp/dir with spaces/lib x.so (deleted)\n"
        b"7f1c3e704000-7f1c3e705000 r-xp 00000000 00:00 0 \n"
        b"7ffd5a1f0000-7ffd5a1f2000 r-xp 00000000 00:00 0                          [vdso]\n"
        b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
    )
    seeds = {
        "real": maps,
        "no-final-newline": b"00400000-00401000 r-xp 00000000 08:01 12 /bin/x",
        "overlap": b"1000-3000 r-xp 0 0:0 0 /a\n2000-4000 r-xp 0 0:0 0 /b\n",
        "unsorted": b"5000-6000 r-xp 0 0:0 0 /a\n1000-2000 r-xp 0 0:0 0 /b\n",
        "end-before-start": b"2000-1000 r-xp 0 0:0 0 /a\n",
        "hex-17-digits": b"10000000000000000-20000000000000000 r-xp 0 0:0 0 /a\n",
        "inode-overflow": b"1000-2000 r-xp 0 0:0 99999999999999999999999 /a\n",
        "dev-big": b"1000-2000 r-xp 0 123456789:0 0 /a\n",
        "short-perms": b"1000-2000 r-x\n",
        "empty-lines": b"\n\n1000-2000 r-xp 0 0:0 0\n\n",
        "only-deleted": b"1000-2000 r-xp 0 0:0 0  (deleted)\n",
        "max-range": b"0-ffffffffffffffff r-xp ffffffffffffffff ffffffff:ffffffff 18446744073709551615 /x\n",
    }
    for name, data in seeds.items():
        write("procmaps", name, data)


def ksyms_seeds():
    ks = (
        b"0000000000000000 A fixed_percpu_data\n"
        b"ffffffff81000000 T _stext\n"
        b"ffffffff81001000 t local_helper\n"
        b"ffffffff81001800 D some_data\n"
        b"ffffffff81002000 T do_syscall_64\n"
        b"ffffffff81003000 W weak_fn\n"
        b"ffffffff81003100 w weak_local\n"
        b"ffffffffc0000000 t mod_fn\t[mymod]\n"
        b"ffffffffc0001000 t bpf_prog_6deef7357e7b4530_oncpu\t[bpf]\n"
        b"garbage line\n"
    )
    seeds = {
        "kallsyms": ks,
        "hidden": b"0000000000000000 T _stext\n0000000000000000 T do_syscall_64\n",
        "long-name": b"ffffffff81000000 T " + b"n" * 300 + b"\nffffffff81000010 T short\n",
        "long-line": b"ffffffff81000000 T " + b"a" * 600 + b" ffffffff81000020 T tail\n",
        "no-newline": b"ffffffff81000000 T last",
        "nul-in-line": b"ffffffff81000000 T a\0b\nffffffff81000100 t c\n",
        "addr-overflow": b"1ffffffffffffffff T big\nffffffffffffffff T top\n",
        "same-address": b"ffffffff81000000 T a\nffffffff81000000 T b\nffffffff81000000 t c\n",
    }
    for name, data in seeds.items():
        write("ksyms", name, data)


def perfmap_seeds():
    seeds = {
        "node": b"7f0000001000 40 LazyCompile:~handler /srv/app.js:12\n"
                b"7f0000000000 100 Builtin:ArgumentsAdaptorTrampoline\n",
        "overlap": b"1000 100 old\n1000 100 new\n1080 10 inner\n",
        "bad-ranges": b"ffffffffffffff00 200 wraps\n1ffffffffffffffff 10 big\n2000 0 empty\n"
                      b"zz 10 bad\n1000\n1000 10\n1000 10 \n",
        "long-name": b"1000 10 " + b"n" * 2000 + b"\n2000 10 short\n",
        "no-newline": b"1000 10 last",
        "nul-in-line": b"1000 10 a\0b\n2000 10 c\n",
    }
    for name, data in seeds.items():
        write("perfmap", name, data)


def flamegraph_seeds():
    # 4 option bytes: palette, flags (1 inverted, 2 reverse, 4 hash, 8 negate, 16 minwidth,
    # 32 percent, 64 diff, 128 labels), width, minwidth
    seeds = {
        "simple": (b"\0\0\0\0", b"main;a;b 10\nmain;a;c 5\nmain;d 1\n"),
        "reasons": (b"\0\0\0\0", b"app;[cpu];main;work 80\napp;[lock];main;futex_wait 15\n"
                    b"app;[disk];main;fsync 5\napp;[runq] 2\n"),
        "diff-lines": (b"\x02\x08\x40\x00", b"main;a 10 12\nmain;b 7 3\nmain;c 0 4\n"),
        "diff-files": (b"\x00\x40\x00\x00", b"main;a 10\nmain;b 7\n\0main;a 12\nmain;c 4\n"),
        "decimals-crlf": (b"\x03\x17\x10\x08", b"a;b 1.5\r\nc 0.25\r\na;b;c 2.\r\n"),
        "escapes": (b"\x05\x80\x01\x00", b"<script>;&amp;\"x\";'y' 3\n\xff\xfe;\x1b[2J 2\n"
                    b"ns::f<T>_[k];g_[j];h_[i] 1\n"),
        "malformed": (b"\x00\x00\x00\x00", b"no count\n 5\n;;; 1\na;b -3\na;b 1e5\na;b nan\n"
                      b"a;b " + b"9" * 400 + b"\n\n"),
        "deep": (b"\x01\x23\xff\x01", b";".join(b"f%d" % i for i in range(300)) + b" 1\n"),
        "percent": (b"\x00\x30\x00\x50", b"a;b 1000\na;c 1\na;d 1\n"),
    }
    for name, (opts, text) in seeds.items():
        write("flamegraph", name, opts + text)


def genai_seeds():
    """SPAN_GENAI events (type, seq, two 64-byte models, counts, flags) and spans.jsonl lines of LLM calls."""
    def event(req, resp, inp, out, flags):
        return struct.pack("<II64s64sIIII", 3, 1, req, resp, inp, out, flags, 0)
    write("genai", "event-ok", event(b"gpt-4o-mini", b"gpt-4o-mini-2024-07-18", 9, 16, 0x1f))
    write("genai", "event-unterminated", event(b"m" * 64, b"claude-3-5-sonnet-20241022", 1, 2, 0x06))
    write("genai", "event-unsafe", event(b"a prompt\"", b"x" * 10 + b"\0" + b"tail", 0, 0, 0x06))
    line = ('{"trace_id": null, "span_id": "0000000000000002", "parent_span_id": null, '
            '"name": "llm POST /v1/chat/completions", "kind": "client", "tid": 1, "start_ns": 1, "end_ns": 2, '
            '"duration_ns": 1, "breakdown_ns": {"net": 1}, "class": "net", "unfinished": false, "peer": null, '
            '"host": "api.openai.com", "llm": true, "ttft_ns": 1, "gen_ai": %s}\n')
    write("genai", "jsonl-ok", (line % '{"operation_name": "chat", "request_model": "gpt-4o-mini", '
                                '"response_model": "gpt-4o-mini-2024-07-18", "input_tokens": 9, '
                                '"output_tokens": 16, "streaming": true}').encode())
    write("genai", "jsonl-bad-model", (line % '{"request_model": "a prompt", "input_tokens": -1}').encode())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        elf_seeds(tmp)
    text_seeds()
    pyobj_seeds()
    procmaps_seeds()
    ksyms_seeds()
    perfmap_seeds()
    flamegraph_seeds()
    genai_seeds()
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(CORPUS) for f in fs)
    print("corpus: %d bytes" % total, file=sys.stderr)


if __name__ == "__main__":
    main()
