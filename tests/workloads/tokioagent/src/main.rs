// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
//! An unmodified Rust agent on tokio, asyncagent.py's and asyncagent.js's twin: a hyper 0.14
//! server on tokio's multi-thread runtime (2 workers: a request may be read on one and answered on
//! the other) serves POST /task, each request doing its own CPU work, one LLM call with reqwest
//! (HTTP, or HTTPS through native-tls: OpenSSL's libssl.so.3; keep-alive; streamed or not; no
//! traceparent; an API key that is a canary), more CPU work. It times each request itself and
//! appends the truth to TRUTH in asyncagent.py's format, one line per request:
//!   "trace_id start end cpu_ns llm_start llm_first llm_end call" (CLOCK_MONOTONIC ns; cpu_ns: the
//!   thread CPU time of its own work, which runs in one poll, on one thread).
//! `tokioagent PORT_FILE LLM_URL CAFILE CANARY TRUTH stream|whole`: writes its port to PORT_FILE,
//! prints its PID, serves until killed. Bad arguments: one line and exit 2.
use std::convert::Infallible;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};

/// Iterations of the CPU work: ~2-4 ms.
const WORK: u64 = 2_500_000;

struct Agent {
    client: reqwest::Client,
    llm_url: String,
    canary: String,
    stream: bool,
    truth: Mutex<File>,
    calls: AtomicU64,
    sink: AtomicU64,
}

fn clock(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn now() -> u64 {
    clock(libc::CLOCK_MONOTONIC)
}

/// The request's own CPU work, a named function (it shows in the stacks); its thread CPU time.
#[inline(never)]
fn named_cpu_work(agent: &Agent) -> u64 {
    let start = clock(libc::CLOCK_THREAD_CPUTIME_ID);
    let mut x = agent.sink.load(Ordering::Relaxed);
    for i in 0..WORK {
        // SAFETY: a read of a local: volatile, so that the loop is not folded away
        x = x.wrapping_add(unsafe { std::ptr::read_volatile(&i) } * i % 7);
    }
    agent.sink.store(x % 3, Ordering::Relaxed);
    clock(libc::CLOCK_THREAD_CPUTIME_ID) - start
}

/// One call to the API, its answer read whole: (llm_first, llm_end).
async fn llm_call(agent: &Agent, call: &str) -> Result<(u64, u64), reqwest::Error> {
    // as the other agents and the openai SDK send it: the prompt first, the model after it
    let stream = if agent.stream { r#","stream":true,"stream_options":{"include_usage":true}"# } else { r#","stream":false"# };
    let body = format!(
        r#"{{"messages":[{{"role":"user","content":"prompt-{}"}}],"model":"gpt-4o-mini"{},"user":"{}"}}"#,
        agent.canary, stream, call
    );
    let mut r = agent
        .client
        .post(&agent.llm_url)
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer key-{}", agent.canary))
        .body(body)
        .send()
        .await?;
    let mut first = 0;
    while let Some(chunk) = r.chunk().await? {
        if first == 0 && !chunk.is_empty() {
            first = now();
        }
    }
    Ok((first, now()))
}

async fn task(agent: Arc<Agent>, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let start = now();
    if req.method() != Method::POST || req.uri().path() != "/task" {
        return Ok(Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap());
    }
    let trace = match req.headers().get("traceparent").and_then(|v| v.to_str().ok()) {
        Some(tp) if tp.len() == 55 => tp[3..35].to_string(),
        _ => "-".to_string(),
    };
    if hyper::body::to_bytes(req.into_body()).await.is_err() {
        return Ok(Response::builder().status(StatusCode::BAD_REQUEST).body(Body::empty()).unwrap());
    }
    let mut cpu = named_cpu_work(&agent);
    let call = format!("call-{}-{}", std::process::id(), agent.calls.fetch_add(1, Ordering::Relaxed) + 1);
    let llm_start = now();
    let (first, llm_end) = match llm_call(&agent, &call).await {
        Ok(t) => t,
        Err(_) => return Ok(Response::builder().status(StatusCode::BAD_GATEWAY).body(Body::empty()).unwrap()),
    };
    cpu += named_cpu_work(&agent);
    let end = now();
    let line = format!("{} {} {} {} {} {} {} {}\n", trace, start, end, cpu, llm_start, first, llm_end, call);
    agent.truth.lock().unwrap().write_all(line.as_bytes()).ok();
    Ok(Response::new(Body::from("done")))
}

fn usage() -> ! {
    eprintln!("usage: tokioagent PORT_FILE LLM_URL CAFILE CANARY TRUTH stream|whole");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 7 || (args[6] != "stream" && args[6] != "whole") {
        usage();
    }
    let (port_file, llm_url, cafile, canary, truth_path) = (&args[1], &args[2], &args[3], &args[4], &args[5]);
    let stream = args[6] == "stream";
    let mut builder = reqwest::Client::builder().pool_max_idle_per_host(64);
    if llm_url.starts_with("https:") {
        let pem = std::fs::read(cafile).unwrap_or_else(|e| {
            eprintln!("tokioagent: {}: {}", cafile, e);
            std::process::exit(1);
        });
        let cert = reqwest::Certificate::from_pem(&pem).unwrap_or_else(|e| {
            eprintln!("tokioagent: {}: {}", cafile, e);
            std::process::exit(1);
        });
        builder = builder.add_root_certificate(cert);
    }
    let truth = OpenOptions::new().create(true).append(true).open(truth_path).unwrap_or_else(|e| {
        eprintln!("tokioagent: {}: {}", truth_path, e);
        std::process::exit(1);
    });
    // tokio's default runtime, its workers limited to 2 (the machine's CPUs): requests move between them
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let agent = Arc::new(Agent {
            client: builder.build().unwrap_or_else(|e| {
                eprintln!("tokioagent: client: {}", e);
                std::process::exit(1);
            }),
            llm_url: llm_url.clone(),
            canary: canary.clone(),
            stream,
            truth: Mutex::new(truth),
            calls: AtomicU64::new(0),
            sink: AtomicU64::new(0),
        });
        let make = make_service_fn(move |_| {
            let agent = agent.clone();
            async move { Ok::<_, Infallible>(service_fn(move |req| task(agent.clone(), req))) }
        });
        let server = Server::bind(&SocketAddr::from(([127, 0, 0, 1], 0))).serve(make);
        let tmp = format!("{}.tmp", port_file);
        std::fs::write(&tmp, server.local_addr().port().to_string()).expect("port file");
        std::fs::rename(&tmp, port_file).expect("port file");
        println!("{}", std::process::id());
        if let Err(e) = server.await {
            eprintln!("tokioagent: {}", e);
            std::process::exit(1);
        }
    });
}
