//! `clic`: compliance-as-code for medical-imaging AI. One module per subcommand.

mod blame;
mod cmd;
mod diff;
mod limits;
mod output;
mod project;
mod report;
mod session;
mod sign;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// `clic --version`: the release and the commit it was built from (`unknown` outside git).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CLIC_GIT_COMMIT"),
    ")"
);

/// What `clic --help` says after the commands.
const AFTER_HELP: &str = "\
Examples:
  clic init my-model                    scaffold a manifest, pre-commit hook and CI jobs
  clic check                            run the CI stage's checks on the project here
  clic check -q --stage pre-commit      only what fails, of the pre-commit checks
  clic check --format sarif --output clic.sarif
  clic dossier --out dossier            the release stage and the MDR technical file
  clic explain sensitivity-claim        what a control checks, and why
  clic explain E022                     a diagnostic code, with a wrong and a fixed example

Environment:
  CLIC_BACKEND      `tract` forces the built-in inference engine; `onnxruntime` or `auto`
                    (the default) use ONNX Runtime when its library is found
  ORT_DYLIB_PATH    the ONNX Runtime shared library (libonnxruntime.so) to load
  CLIC_CACHE_LIMIT  the size limit of .clic/cache, e.g. 4GiB (default)
  NO_COLOR          set (to anything but empty) for output without colour

Exit status: 0 every gate passed, 1 a gate or a test failed, 2 the input is invalid.";

/// Compliance-as-code for medical-imaging AI: policies compiled to checks, a release gate and the MDR technical file.
#[derive(Debug, Parser)]
#[command(name = "clic", version = VERSION, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile the project's .clic files; print diagnostics, or the Plan as JSON.
    Compile {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Write the Plan as JSON to FILE (`-` for standard output).
        #[arg(long, value_name = "FILE")]
        emit_plan: Option<PathBuf>,
    },
    /// Compile and evaluate the checks of a stage: the gate.
    Check {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Run the checks of this stage and the ones before it.
        #[arg(long, value_enum, default_value_t = StageArg::Ci)]
        stage: StageArg,
        /// Output format; repeat it for several reports in one run.
        #[arg(long, value_enum)]
        format: Vec<report::Format>,
        /// Write the report of the `--format` just before it to FILE, atomically;
        /// formats without an output go to standard output.
        #[arg(long, value_name = "FILE")]
        output: Vec<PathBuf>,
        /// Failures of this severity or above fail the gate.
        #[arg(long, value_enum, default_value_t = FailOn::Major)]
        fail_on: FailOn,
        /// Evaluate waiver expiry as of this date (YYYY-MM-DD); default: today in UTC.
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        #[command(flatten)]
        run: limits::RunArgs,
        #[command(flatten)]
        read: limits::ReadArgs,
        /// Write the outcome as a signed in-toto attestation (DSSE envelope) to FILE; needs --sign.
        #[arg(long, value_name = "FILE", requires = "sign")]
        attest: Option<PathBuf>,
        /// The SSH ed25519 private key that signs the attestation.
        #[arg(long, value_name = "KEY", requires = "attest")]
        sign: Option<PathBuf>,
        /// Show only the controls that did not pass, and the summary.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Run the benchmark of the model on the reference scans and store its evidence.
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        /// Merge the evidence of shards instead of running.
        #[command(subcommand)]
        merge: Option<BenchAction>,
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Write one row per scan (file, sha256, label, score, predicted class, subgroup attributes) to FILE.csv.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Score only shard K of N (1 <= K <= N): the scans whose hashed patient falls in it; needs --output.
        #[arg(long, value_name = "K/N", value_parser = cmd::bench::parse_shard, requires = "output", conflicts_with = "predictions")]
        shard: Option<clic_runner::bench::shard::Shard>,
        /// Where --shard writes the shard's evidence, for `clic bench merge`.
        #[arg(long, value_name = "FILE", requires = "shard")]
        output: Option<PathBuf>,
        /// The size limit of .clic/cache; least recently used entries go first (default 4GiB, or CLIC_CACHE_LIMIT).
        #[arg(long, value_name = "SIZE", value_parser = limits::parse_size)]
        cache_limit: Option<u64>,
        /// A shared cache of per-scan evidence on an S3-compatible store, s3://BUCKET[/PREFIX] (or CLIC_CACHE_REMOTE); endpoint and credentials from the AWS_* variables.
        #[arg(long, value_name = "URL", value_parser = clic_runner::bench::remote::parse_location)]
        cache_remote: Option<clic_runner::bench::remote::Location>,
        #[command(flatten)]
        run: limits::RunArgs,
        #[command(flatten)]
        read: limits::ReadArgs,
    },
    /// Inspect or trim the project's cache (.clic/cache): per-scan evidence and digests.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Format .clic files canonically (comments are kept).
    Fmt {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Change nothing; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Run the test blocks of the .clic files.
    Test {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Also report, for every control, whether the tests see it pass and fail.
        #[arg(long)]
        coverage: bool,
    },
    /// Print the facts clic establishes about a model file.
    Inspect {
        #[command(subcommand)]
        what: InspectWhat,
    },
    /// Show which inference backend is active, its version, and how to switch.
    Doctor,
    /// Scaffold a compliance set-up into a model repository (manifest, pre-commit, CI).
    Init {
        /// The repository folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run the release stage and write the MDR technical file (Markdown + one HTML page).
    Dossier {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The folder to write; replaced whole, atomically.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Failures of this severity or above fail the gate.
        #[arg(long, value_enum, default_value_t = FailOn::Major)]
        fail_on: FailOn,
        /// Judge waiver expiry as of this date (YYYY-MM-DD); default: the commit's date.
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        #[command(flatten)]
        run: limits::RunArgs,
        #[command(flatten)]
        read: limits::ReadArgs,
        /// Sign evidence.json with this SSH ed25519 private key (writes evidence.json.sig, as `ssh-keygen -Y sign -n clic-dossier`).
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,
    },
    /// Recompute a dossier's hashes; with --repo, also whether its inputs still match.
    Verify {
        /// The dossier folder.
        dir: PathBuf,
        /// The project the dossier was made from.
        #[arg(long, value_name = "PATH")]
        repo: Option<PathBuf>,
        /// Check evidence.json.sig against this allowed-signers file (ssh-keygen / git format).
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        /// The principal the signature must be allowed for.
        #[arg(long, value_name = "ID", requires = "allowed_signers")]
        identity: Option<String>,
        /// Rebuild the dossier from its recorded commit of --repo and compare every byte.
        #[arg(long, requires = "repo")]
        regenerate: bool,
    },
    /// Explain a control id, a fact, a diagnostic code (E001), `facts` or `policies`.
    Explain {
        /// What to explain.
        what: String,
        /// The project whose controls to search.
        #[arg(long, default_value = ".")]
        path: PathBuf,
    },
    /// Print a shell completion script: `clic completions bash > /etc/bash_completion.d/clic`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from this command line: `clic man > clic.1`.
    Man,
}

/// `clic bench merge`.
#[derive(Debug, Subcommand)]
enum BenchAction {
    /// Merge the evidence files of every shard (`clic bench --shard K/N --output FILE`) into the evidence of one run.
    Merge {
        /// The shard files, all N of them.
        #[arg(required = true, value_name = "SHARD")]
        shards: Vec<PathBuf>,
        /// The project the shards were scored from.
        #[arg(long, default_value = ".")]
        path: PathBuf,
        /// Write one row per scan to FILE.csv, as `clic bench --predictions` does.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// What `clic cache` does.
#[derive(Debug, Subcommand)]
enum CacheAction {
    /// Print how many entries of each kind the cache holds, their size and the limit.
    Stats {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Evict least recently used entries until the cache is within its limit.
    Gc {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The size to trim to (default: the limit in force, 4GiB or CLIC_CACHE_LIMIT).
        #[arg(long, value_name = "SIZE", value_parser = limits::parse_size)]
        limit: Option<u64>,
    },
    /// Remove every cache entry (the project secret stays).
    Clear {
        /// A project folder or a .clic file.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

/// What `clic inspect` looks at.
#[derive(Debug, Subcommand)]
enum InspectWhat {
    /// An ONNX model: digest, graph, inputs and outputs, whether it loads and is deterministic.
    Model {
        /// The .onnx file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        run: limits::RunArgs,
    },
    /// A DICOM file: attributes (identifying ones only as present or absent), pixel description and statistics.
    Scan {
        /// The DICOM file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: limits::ReadArgs,
    },
}

/// A stage on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum StageArg {
    PreCommit,
    Ci,
    Release,
}

/// Output formats of `clic check`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

/// Gate thresholds.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Blocker,
    Major,
    Minor,
}

/// Pairs each `--output` of `clic check` with the `--format` written just before it on
/// the command line: `--format human --format sarif --output clic.sarif` prints the human
/// report and writes SARIF to the file. Returns, for each format in order, the index of
/// its output; an error when an output follows no format, or two follow the same one.
fn outputs_of_formats(matches: &clap::ArgMatches) -> Result<Vec<Option<usize>>, String> {
    let Some(("check", sub)) = matches.subcommand() else {
        return Ok(Vec::new());
    };
    let formats: Vec<usize> = sub
        .indices_of("format")
        .map(Iterator::collect)
        .unwrap_or_default();
    let outputs: Vec<usize> = sub
        .indices_of("output")
        .map(Iterator::collect)
        .unwrap_or_default();
    let mut paired = vec![None; formats.len()];
    for (o, at) in outputs.iter().enumerate() {
        let Some(f) = formats.iter().rposition(|&fi| fi < *at) else {
            return Err("`--output` must follow the `--format` it writes, e.g. `--format sarif --output clic.sarif`".to_string());
        };
        if paired[f].replace(o).is_some() {
            return Err(
                "two `--output`s follow the same `--format`; give each report its own `--format`"
                    .to_string(),
            );
        }
    }
    Ok(paired)
}

/// A command line clap cannot take: help and version as clap prints them (exit 0);
/// anything else as a coded diagnostic (`clic::E020`, exit 2), clap's words kept.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            },
        );
    }
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("the command line is not valid");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let rest: Vec<&str> = lines.map(str::trim).collect();
    output::print_error(
        clic_compiler::Code::E020,
        first,
        Some(&if rest.is_empty() {
            "see `clic --help`".to_string()
        } else {
            rest.join("; ")
        }),
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    if args
        .next()
        .is_some_and(|a| a == clic_runner::engine::sandbox::WORKER_ARG)
    {
        let memory = args.next().unwrap_or_default();
        let status = clic_runner::engine::sandbox::serve(&memory.to_string_lossy());
        return ExitCode::from(u8::try_from(status).unwrap_or(2));
    }
    if let Some(bad) = std::env::var_os("CLIC_BACKEND").filter(|b| {
        !b.is_empty()
            && !["tract", "onnxruntime", "auto"]
                .iter()
                .any(|k| b.eq_ignore_ascii_case(k))
    }) {
        output::print_error(
            clic_compiler::Code::E020,
            &format!("`CLIC_BACKEND={}` is not a backend", bad.to_string_lossy()),
            Some("set CLIC_BACKEND to `tract`, `onnxruntime` or `auto`, or unset it (`clic doctor` shows the backend in use)"),
        );
        return ExitCode::from(2);
    }
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (m, c)));
    let (matches, cli) = match parsed {
        Ok(x) => x,
        Err(e) => return usage_error(&e),
    };
    match &cli.command {
        Command::Check { run, .. }
        | Command::Bench { run, .. }
        | Command::Dossier { run, .. }
        | Command::Inspect {
            what: InspectWhat::Model { run, .. },
        } => run.enable_sandbox(),
        _ => {}
    }
    let status = match cli.command {
        Command::Compile { path, emit_plan } => cmd::compile::run(&path, emit_plan.as_deref()),
        Command::Check {
            path,
            stage,
            format,
            output,
            fail_on,
            today,
            run,
            read,
            attest,
            sign,
            quiet,
        } => {
            let stage = match stage {
                StageArg::PreCommit => clic_compiler::plan::Stage::PreCommit,
                StageArg::Ci => clic_compiler::plan::Stage::Ci,
                StageArg::Release => clic_compiler::plan::Stage::Release,
            };
            let fail_on = match fail_on {
                FailOn::Blocker => clic_compiler::plan::Severity::Blocker,
                FailOn::Major => clic_compiler::plan::Severity::Major,
                FailOn::Minor => clic_compiler::plan::Severity::Minor,
            };
            let paired = match outputs_of_formats(&matches) {
                Ok(p) => p,
                Err(why) => {
                    output::print_error(
                        clic_compiler::Code::E020,
                        &why,
                        Some("see `clic check --help`"),
                    );
                    return ExitCode::from(2);
                }
            };
            let formats = if format.is_empty() {
                if !output.is_empty() {
                    output::print_error(
                        clic_compiler::Code::E020,
                        "`--output` must follow the `--format` it writes, e.g. `--format sarif --output clic.sarif`",
                        Some("see `clic check --help`"),
                    );
                    return ExitCode::from(2);
                }
                vec![report::Format::Human]
            } else {
                format
            };
            let reports = formats
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let file = paired
                        .get(i)
                        .copied()
                        .flatten()
                        .and_then(|o| output.get(o).cloned());
                    (*f, file)
                })
                .collect();
            cmd::check::run(
                &path,
                stage,
                reports,
                fail_on,
                today,
                &run.budget(read.limits()),
                attest.zip(sign),
                quiet,
            )
        }
        Command::Fmt { path, check } => cmd::fmt::run(&path, check),
        Command::Test { path, coverage } => cmd::test::run(&path, coverage),
        Command::Explain { what, path } => cmd::explain::run(&what, &path),
        Command::Dossier {
            path,
            out,
            fail_on,
            today,
            run,
            read,
            sign,
        } => cmd::dossier::run(
            &path,
            &out,
            match fail_on {
                FailOn::Blocker => clic_compiler::plan::Severity::Blocker,
                FailOn::Major => clic_compiler::plan::Severity::Major,
                FailOn::Minor => clic_compiler::plan::Severity::Minor,
            },
            today,
            &run.budget(read.limits()),
            sign.as_deref(),
        ),
        Command::Verify {
            dir,
            repo,
            allowed_signers,
            identity,
            regenerate,
        } => cmd::verify::run(
            &dir,
            &cmd::verify::Options {
                repo: repo.as_deref(),
                allowed_signers: allowed_signers.as_deref(),
                identity: identity.as_deref(),
                regenerate,
            },
        ),
        Command::Inspect {
            what: InspectWhat::Model { file, json, run },
        } => cmd::inspect::model(
            &file,
            json,
            &run.budget(clic_runner::budget::ReadLimits::default()),
        ),
        Command::Doctor => cmd::doctor::run(),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "clic", &mut script);
            output::stdout(&String::from_utf8_lossy(&script));
            cmd::Status::Ok
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    output::stdout(&String::from_utf8_lossy(&page));
                    cmd::Status::Ok
                }
                Err(e) => {
                    output::print_error(
                        clic_compiler::Code::E020,
                        &format!("cannot render the manual page: {e}"),
                        None,
                    );
                    cmd::Status::Invalid
                }
            }
        }
        Command::Init { dir } => cmd::init::run(&dir),
        Command::Inspect {
            what: InspectWhat::Scan { file, json, read },
        } => cmd::inspect::scan(&file, json, &read.limits()),
        Command::Bench {
            merge:
                Some(BenchAction::Merge {
                    shards,
                    path,
                    predictions,
                    format,
                }),
            ..
        } => cmd::bench::merge(
            &path,
            &shards,
            predictions.as_deref(),
            format == Format::Json,
        ),
        Command::Bench {
            merge: None,
            path,
            predictions,
            format,
            shard,
            output,
            cache_limit,
            cache_remote,
            run,
            read,
        } => {
            if let Some(limit) = cache_limit {
                clic_runner::bench::store::set_size_limit(limit);
            }
            if let Some(remote) = cache_remote {
                clic_runner::bench::remote::configure(remote);
            }
            let budget = run.budget(read.limits());
            match (shard, output) {
                (Some(shard), Some(output)) => cmd::bench::shard(&path, shard, &output, &budget),
                _ => cmd::bench::run(
                    &path,
                    predictions.as_deref(),
                    format == Format::Json,
                    &budget,
                ),
            }
        }
        Command::Cache { action } => match action {
            CacheAction::Stats { path } => cmd::cache::stats(&path),
            CacheAction::Gc { path, limit } => cmd::cache::gc(&path, limit),
            CacheAction::Clear { path } => cmd::cache::clear(&path),
        },
    };
    ExitCode::from(status as u8)
}
