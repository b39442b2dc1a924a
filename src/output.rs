//! Writing to the terminal and to files: diagnostics through miette, atomic writes.

use clic_compiler::diagnostics::{render_plain, Diagnostic};
use clic_compiler::SourceMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Writes to standard output. A closed pipe (`clic inspect scan f.dcm | head`) ends
/// the program quietly, as it does for other command-line tools, instead of panicking.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// `print!` to standard output through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout(&format!($($arg)*))
    };
}

/// `println!` to standard output through [`stdout`].
macro_rules! outln {
    () => {
        $crate::output::stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

/// Prints diagnostics to standard error, in colour on a terminal unless NO_COLOR is set.
pub fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap) {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = if colour {
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode());
        let mut out = String::new();
        for d in diags {
            let report = d.report(sources);
            if handler.render_report(&mut out, &report).is_err() {
                out.push_str(&d.message);
            }
            out.push('\n');
        }
        out
    } else {
        render_plain(diags, sources)
    };
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let n = diags.len();
    let _ = writeln!(
        err,
        "error: {n} problem{} found",
        if n == 1 { "" } else { "s" }
    );
}

/// Prints an error that has no source location, with its code.
pub fn print_error(code: clic_compiler::Code, message: &str, help: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} {message}", code.id());
    if let Some(h) = help {
        let _ = writeln!(err, "  help: {h}");
    }
}

/// Writes a file atomically, to a regular file or a new path only: see
/// [`clic_runner::fsio::write_atomic`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    clic_runner::fsio::write_atomic(path, bytes)
}
