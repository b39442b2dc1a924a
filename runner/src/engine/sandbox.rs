//! Inference in a process of its own, within a memory limit.
//!
//! clic's graph limits ([`super::limits`]) refuse what a model's graph declares too big,
//! but a tensor whose size only the pixel values decide (a `ConstantOfShape` of a shape
//! computed from the input) is known only when it is allocated. In clic's own process a
//! failed allocation aborts it, and a backend that runs past the budget can only be
//! abandoned. So the CLI runs every model in a child: the clic executable started with
//! [`WORKER_ARG`], its address space limited (`RLIMIT_AS`) to the inference memory
//! budget. A model that asks for more dies alone, and clic reports it (`E021`); a batch
//! past the time budget is ended by killing the child, not left running.
//!
//! The child speaks frames on its standard input and output (all integers little
//! endian): a one-byte tag, a u32 header length, a JSON header, a u64 payload length and
//! the payload (the model's bytes, or float32 values). Its standard error is kept (the
//! first 64 KiB) to say why it ended.

use super::{EngineError, Job, JobResult, Output, OutputShapes};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

/// The first argument that makes the clic executable an inference worker.
pub const WORKER_ARG: &str = "__clic-inference-worker";

/// How the CLI runs models out of process.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The executable that serves [`WORKER_ARG`] (the clic binary itself).
    pub executable: PathBuf,
    /// The address space the child may use, in bytes.
    pub memory: u64,
}

static SANDBOX: OnceLock<Sandbox> = OnceLock::new();

/// Runs every model loaded from now on in a child process (the first call wins).
pub fn enable(sandbox: Sandbox) {
    let _ = SANDBOX.set(sandbox);
}

/// The sandbox in force, if the CLI enabled one.
pub fn current() -> Option<&'static Sandbox> {
    SANDBOX.get()
}

/// The default inference memory limit: half of the machine's memory (8 GiB when it
/// cannot be read), so a model that runs away leaves the rest of the machine standing.
pub fn default_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(8 << 30, |kib| kib.saturating_mul(1024) / 2)
}

/// The most bytes a frame's payload may hold: a model (2 GiB, the most an ONNX file
/// holds) or a tensor of 2^29 float32 values.
const MAX_PAYLOAD: u64 = 2 << 30;
/// The most bytes a frame's header may hold.
const MAX_HEADER: u32 = 16 << 20;
/// How much of the child's standard error is kept.
const MAX_STDERR: usize = 64 << 10;

const LOAD: u8 = 1;
const RUN: u8 = 2;
const ANSWER: u8 = 3;

#[derive(Serialize, Deserialize)]
struct LoadHeader {
    threads: usize,
}

#[derive(Serialize, Deserialize)]
struct RunHeader {
    input: String,
    shape: Vec<usize>,
    output: Option<String>,
    /// A model's further inputs with their shapes; their values follow `input`'s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    more: Vec<(String, Vec<usize>)>,
}

#[derive(Serialize, Deserialize)]
enum Answer {
    /// The model loaded, on this backend (its name and version).
    Loaded {
        backend: String,
        version: String,
    },
    Ran {
        shape: Vec<i64>,
        shapes: OutputShapes,
    },
    Failed(EngineError),
}

/// What a frame carries after its header.
enum Payload<'a> {
    /// A model's bytes (or nothing).
    Bytes(&'a [u8]),
    /// A tensor's values, written as little-endian float32 block by block (never a second
    /// copy of the whole tensor).
    Floats(&'a [f32]),
}

/// The block a tensor is converted through.
const BLOCK: usize = 1 << 16;

fn write_frame(
    w: &mut impl Write,
    tag: u8,
    header: &impl Serialize,
    payload: Payload<'_>,
) -> std::io::Result<()> {
    let header = serde_json::to_vec(header).map_err(std::io::Error::other)?;
    let len = u32::try_from(header.len()).map_err(std::io::Error::other)?;
    w.write_all(&[tag])?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&header)?;
    match payload {
        Payload::Bytes(b) => {
            w.write_all(&(b.len() as u64).to_le_bytes())?;
            w.write_all(b)?;
        }
        Payload::Floats(v) => {
            w.write_all(&(v.len() as u64 * 4).to_le_bytes())?;
            let mut block = vec![0u8; BLOCK];
            for chunk in v.chunks(BLOCK / 4) {
                for (o, f) in block.chunks_exact_mut(4).zip(chunk) {
                    o.copy_from_slice(&f.to_le_bytes());
                }
                w.write_all(&block[..chunk.len() * 4])?;
            }
        }
    }
    w.flush()
}

/// Reads a frame's tag and header; returns them with its payload's length, which the
/// caller reads next with [`read_bytes`] or [`read_floats`].
fn read_head(r: &mut impl Read) -> std::io::Result<(u8, Vec<u8>, u64)> {
    let mut tag = [0u8; 1];
    r.read_exact(&mut tag)?;
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    if len > MAX_HEADER {
        return Err(std::io::Error::other("a frame header over the limit"));
    }
    let mut header = vec![0u8; len as usize];
    r.read_exact(&mut header)?;
    let mut plen = [0u8; 8];
    r.read_exact(&mut plen)?;
    let plen = u64::from_le_bytes(plen);
    if plen > MAX_PAYLOAD {
        return Err(std::io::Error::other("a frame payload over the limit"));
    }
    Ok((tag[0], header, plen))
}

/// The payload as bytes. Sized up front to at most 64 MiB (the length is checked
/// against the bytes as they come).
fn read_bytes(r: &mut impl Read, len: u64) -> std::io::Result<Vec<u8>> {
    let mut payload = Vec::with_capacity(usize::try_from(len.min(64 << 20)).unwrap_or(0));
    r.take(len).read_to_end(&mut payload)?;
    if payload.len() as u64 != len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(payload)
}

/// The payload as float32 values, converted block by block.
fn read_floats(r: &mut impl Read, len: u64) -> std::io::Result<Vec<f32>> {
    if !len.is_multiple_of(4) {
        return Err(std::io::Error::other("a tensor payload of a partial value"));
    }
    let mut out = Vec::with_capacity(usize::try_from((len / 4).min(16 << 20)).unwrap_or(0));
    let mut block = vec![0u8; BLOCK];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left.min(BLOCK as u64)).unwrap_or(BLOCK);
        r.read_exact(&mut block[..want])?;
        out.extend(
            block[..want]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        left -= want as u64;
    }
    Ok(out)
}

/// Whether a backend's message says an allocation failed.
pub(super) fn is_out_of_memory(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "memory allocation of",
        "failed to allocate",
        "out of memory",
        "bad_alloc",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// The error of a model that asked for more than `memory` bytes (`said`: the backend's
/// words).
pub(super) fn out_of_memory(memory: u64, said: &str) -> EngineError {
    EngineError::Limit(format!(
        "the model asked for more memory than the inference limit of {memory} bytes allows \
         ({said}); a tensor whose size the input's values decide cannot be bounded before it \
         runs (raise the limit with `--max-inference-memory SIZE`)"
    ))
}

/// The memory limit of this process, when it is an inference worker.
pub(super) static LIMIT: OnceLock<u64> = OnceLock::new();

/// The child's side of a [`Worker`](super::Worker): stops it by killing the process.
pub(super) struct Process {
    child: Arc<Mutex<Child>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    memory: u64,
}

impl Process {
    /// Ends the child (a run past the budget, or the model dropped).
    pub(super) fn kill(&self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Why the child ended without an answer: out of memory, a signal, or an exit.
    pub(super) fn why_it_ended(&self) -> EngineError {
        let status = self.child.lock().ok().and_then(|mut c| {
            // Its output is closed, so it has ended or is ending: wait a little, then make sure.
            for _ in 0..50 {
                if let Ok(Some(s)) = c.try_wait() {
                    return Some(s);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            c.wait().ok()
        });
        let said = self
            .stderr
            .lock()
            .map(|e| String::from_utf8_lossy(&e).into_owned())
            .unwrap_or_default();
        // The first panic's message (the line after "panicked at"), else the last line.
        let lines: Vec<&str> = said
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let line = lines
            .iter()
            .position(|l| l.contains("panicked at"))
            .and_then(|i| lines.get(i + 1))
            .or(lines.last())
            .copied()
            .unwrap_or("")
            .to_string();
        if let Some(l) = lines.iter().find(|l| is_out_of_memory(l)) {
            return out_of_memory(self.memory, l);
        }
        let how = match status {
            Some(s) => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    match s.signal() {
                        Some(sig) => format!("was ended by signal {sig}"),
                        None => format!("exited with {s}"),
                    }
                }
                #[cfg(not(unix))]
                format!("exited with {s}")
            }
            None => "ended".to_string(),
        };
        EngineError::Panicked(if line.is_empty() {
            format!("the inference process {how}")
        } else {
            format!("the inference process {how}: {line}")
        })
    }
}

/// Starts a child, loads `bytes` in it with `threads` intra-op threads, and returns the
/// channels a [`super::Worker`] drives it by. Loading may take at most `timeout`.
pub(super) fn spawn(
    sandbox: &Sandbox,
    bytes: &[u8],
    threads: usize,
    timeout: Duration,
) -> Result<(mpsc::Sender<Job>, mpsc::Receiver<JobResult>, Process), EngineError> {
    let backend = super::backend();
    spawn_on(
        sandbox,
        &backend.kind,
        backend.name(),
        bytes,
        threads,
        timeout,
    )
}

/// [`spawn`] on the backend `kind` (named `name`): the child must report that it runs on
/// it (an ONNX Runtime library that fails to load in the child would fall back to tract).
pub(super) fn spawn_on(
    sandbox: &Sandbox,
    kind: &super::BackendKind,
    name: &str,
    bytes: &[u8],
    threads: usize,
    timeout: Duration,
) -> Result<(mpsc::Sender<Job>, mpsc::Receiver<JobResult>, Process), EngineError> {
    let mut cmd = Command::new(&sandbox.executable);
    cmd.arg(WORKER_ARG)
        .arg(sandbox.memory.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The child uses the backend it is given, not one it might find itself.
    match kind {
        super::BackendKind::Tract => {
            cmd.env("CLIC_BACKEND", "tract");
        }
        super::BackendKind::OnnxRuntime { library } => {
            cmd.env_remove("CLIC_BACKEND")
                .env("ORT_DYLIB_PATH", library);
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| EngineError::Backend(format!("cannot start the inference process: {e}")))?;
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err(EngineError::Backend(
            "the inference process has no pipes".to_string(),
        ));
    };
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&kept);
    let spawn_thread = |name: &str, f: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(f)
            .map_err(|e| EngineError::Backend(format!("cannot start a thread: {e}")))
    };
    spawn_thread(
        "clic-inference-stderr",
        Box::new(move || {
            let mut block = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut block) {
                if n == 0 {
                    break;
                }
                if let Ok(mut k) = sink.lock() {
                    let room = MAX_STDERR.saturating_sub(k.len());
                    k.extend_from_slice(&block[..n.min(room)]);
                }
            }
        }),
    )?;
    let process = Process {
        child: Arc::new(Mutex::new(child)),
        stderr: kept,
        memory: sandbox.memory,
    };
    let (result_tx, results) = mpsc::channel::<JobResult>();
    let reader_tx = result_tx.clone();
    spawn_thread(
        "clic-inference-reader",
        Box::new(move || read_answers(stdout, &reader_tx)),
    )?;
    // Loading is the first exchange; its answer comes through the same channel.
    let loaded = write_frame(
        &mut stdin,
        LOAD,
        &LoadHeader { threads },
        Payload::Bytes(bytes),
    );
    let (jobs, job_rx) = mpsc::channel::<Job>();
    spawn_thread(
        "clic-inference-writer",
        Box::new(move || feed(stdin, &job_rx)),
    )?;
    if loaded.is_err() {
        return Err(process.why_it_ended());
    }
    match results.recv_timeout(timeout) {
        Ok(Ok((_, runs_on))) => match runs_on.first() {
            Some((got, _, _)) if got == name => Ok((jobs, results, process)),
            other => {
                process.kill();
                Err(EngineError::Backend(format!(
                    "the inference process runs on {}, not on {name}",
                    other.map_or("an unknown backend", |o| o.0.as_str())
                )))
            }
        },
        Ok(Err(e)) => {
            process.kill();
            Err(e)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            process.kill();
            Err(EngineError::Timeout {
                secs: timeout.as_secs().max(1),
            })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(process.why_it_ended()),
    }
}

/// Writes each job to the child; ends when the model is dropped or the child is gone.
fn feed(mut stdin: ChildStdin, jobs: &mpsc::Receiver<Job>) {
    for job in jobs {
        let header = RunHeader {
            input: job.input,
            shape: job.shape,
            output: job.output,
            more: job.more,
        };
        if write_frame(&mut stdin, RUN, &header, Payload::Floats(&job.data)).is_err() {
            break;
        }
    }
}

/// Reads the child's answers until its output closes (it ended, or crashed).
fn read_answers(mut stdout: ChildStdout, results: &mpsc::Sender<JobResult>) {
    loop {
        let Ok((tag, header, len)) = read_head(&mut stdout) else {
            return;
        };
        let Ok(values) = read_floats(&mut stdout, len) else {
            return;
        };
        let answer = match serde_json::from_slice::<Answer>(&header) {
            Ok(a) if tag == ANSWER => a,
            _ => Answer::Failed(EngineError::Panicked(
                "the inference process sent an answer clic cannot read".to_string(),
            )),
        };
        let r = match answer {
            // The load's answer: the backend the child runs on, as its one entry.
            Answer::Loaded { backend, version } => Ok((
                Output {
                    shape: Vec::new(),
                    values: Vec::new(),
                },
                vec![(backend, version, Vec::new())],
            )),
            Answer::Ran { shape, shapes } => Ok((Output { shape, values }, shapes)),
            Answer::Failed(e) => Err(e),
        };
        if results.send(r).is_err() {
            return;
        }
    }
}

/// The child: limits its address space to `memory` bytes, loads the model of the first
/// frame, and answers each run. Returns the process's exit status.
pub fn serve(memory: &str) -> i32 {
    let Ok(memory) = memory.parse::<u64>() else {
        eprintln!("clic inference worker: the memory limit `{memory}` is not a number");
        return 2;
    };
    #[cfg(target_os = "linux")]
    {
        let limit = rustix::process::Rlimit {
            current: Some(memory),
            maximum: Some(memory),
        };
        if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::As, limit) {
            eprintln!("clic inference worker: cannot limit memory: {e}");
            return 2;
        }
    }
    let _ = LIMIT.set(memory);
    super::LOUD.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let answer = |out: &mut std::io::StdoutLock<'_>, a: &Answer, values: &[f32]| {
        write_frame(out, ANSWER, a, Payload::Floats(values)).is_ok()
    };
    let Ok((LOAD, header, len)) = read_head(&mut stdin) else {
        return 2;
    };
    let Ok(bytes) = read_bytes(&mut stdin, len) else {
        return 2;
    };
    let Ok(load) = serde_json::from_slice::<LoadHeader>(&header) else {
        return 2;
    };
    let mut model = match super::Model::load_here(&bytes, load.threads) {
        Ok(m) => m.with_timeout(Duration::from_secs(u64::from(u32::MAX))),
        Err(e) => {
            answer(&mut stdout, &Answer::Failed(e), &[]);
            return 0;
        }
    };
    drop(bytes);
    let backend = super::backend();
    let loaded = Answer::Loaded {
        backend: backend.name().to_string(),
        version: backend.version.clone(),
    };
    if !answer(&mut stdout, &loaded, &[]) {
        return 0;
    }
    while let Ok((RUN, header, len)) = read_head(&mut stdin) {
        let (Ok(run), Ok(data)) = (
            serde_json::from_slice::<RunHeader>(&header),
            read_floats(&mut stdin, len),
        ) else {
            return 2;
        };
        let inputs = split_inputs(run.input, run.shape, run.more, data);
        let sent = match inputs.and_then(|i| model.run_inputs(i, run.output.as_deref())) {
            Ok((out, shapes)) => answer(
                &mut stdout,
                &Answer::Ran {
                    shape: out.shape,
                    shapes,
                },
                &out.values,
            ),
            Err(e) => answer(&mut stdout, &Answer::Failed(e), &[]),
        };
        if !sent {
            break;
        }
    }
    0
}

/// The inputs of a run frame: each input's values cut from the frame's, by its shape.
fn split_inputs(
    input: String,
    shape: Vec<usize>,
    more: Vec<(String, Vec<usize>)>,
    data: Vec<f32>,
) -> Result<super::Inputs, EngineError> {
    let mut out = Vec::with_capacity(1 + more.len());
    let mut rest = data.as_slice();
    for (name, shape) in std::iter::once((input, shape)).chain(more) {
        let len = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= rest.len())
            .ok_or_else(|| {
                EngineError::Run(format!(
                    "the input `{name}` of shape {shape:?} has more values than the frame holds"
                ))
            })?;
        let (head, tail) = rest.split_at(len);
        out.push((name, shape, head.to_vec()));
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(EngineError::Run(format!(
            "the frame holds {} values past its inputs'",
            rest.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_of_several_inputs_is_cut_by_their_shapes_and_a_short_or_long_one_refused() {
        let data: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let more = vec![("dwi".to_string(), vec![1, 4])];
        let cut = split_inputs("flair".to_string(), vec![2, 3], more.clone(), data.clone())
            .expect("fits");
        assert_eq!(cut[0].2, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(
            (cut[1].0.as_str(), cut[1].2.clone()),
            ("dwi", vec![6.0, 7.0, 8.0, 9.0])
        );
        assert!(split_inputs(
            "flair".to_string(),
            vec![2, 3],
            more.clone(),
            data[..9].to_vec()
        )
        .is_err());
        let mut long = data;
        long.push(1.0);
        assert!(split_inputs("flair".to_string(), vec![2, 3], more, long).is_err());
        assert!(split_inputs("x".to_string(), vec![usize::MAX, 3], Vec::new(), vec![0.0]).is_err());
    }

    #[test]
    fn frames_round_trip_and_refuse_what_is_over_the_limits() {
        let values: Vec<f32> = (0..100_000).map(|i| i as f32 * 0.5 - 7.25).collect();
        let mut buf = Vec::new();
        write_frame(
            &mut buf,
            RUN,
            &RunHeader {
                input: "image".to_string(),
                shape: vec![2, 1],
                output: Some("prob".to_string()),
                more: Vec::new(),
            },
            Payload::Floats(&values),
        )
        .expect("write");
        let mut r = buf.as_slice();
        let (tag, header, len) = read_head(&mut r).expect("read");
        assert_eq!(tag, RUN);
        let h: RunHeader = serde_json::from_slice(&header).expect("header");
        assert_eq!((h.input.as_str(), h.shape), ("image", vec![2, 1]));
        assert_eq!(read_floats(&mut r, len).expect("values"), values);
        assert!(r.is_empty());
        // A cut frame, a partial value, and a payload past the limit are errors, never
        // an allocation of what the length claims.
        let mut cut = &buf[..buf.len() - 1];
        let (_, _, len) = read_head(&mut cut).expect("head");
        assert!(read_floats(&mut cut, len).is_err());
        assert!(read_floats(&mut [0u8; 7].as_slice(), 7).is_err());
        let mut huge = vec![RUN];
        huge.extend(2u32.to_le_bytes());
        huge.extend(b"{}");
        huge.extend(u64::MAX.to_le_bytes());
        assert!(read_head(&mut huge.as_slice()).is_err());
        let mut model = Vec::new();
        write_frame(
            &mut model,
            LOAD,
            &LoadHeader { threads: 1 },
            Payload::Bytes(b"onnx"),
        )
        .expect("write");
        let mut r = model.as_slice();
        let (tag, _, len) = read_head(&mut r).expect("head");
        assert_eq!(
            (tag, read_bytes(&mut r, len).expect("bytes")),
            (LOAD, b"onnx".to_vec())
        );
    }

    #[test]
    fn the_default_memory_limit_is_most_of_the_machine() {
        let m = default_memory();
        assert!(m >= 1 << 30, "{m}");
    }
}
