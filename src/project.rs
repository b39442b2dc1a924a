//! Finding a project's .clic files and reading the files they import.

use clic_compiler::plan::ModelSpec;
use clic_compiler::{Code, Loader};
use std::path::{Path, PathBuf};

/// The .clic sources of a project.
#[derive(Debug)]
pub struct Project {
    /// The folder paths are shown relative to.
    pub base: PathBuf,
    /// Imports may not leave this folder: the git work tree, or `base` outside one.
    pub root: PathBuf,
    /// `(path shown, text)` of every file discovered, sorted by path.
    pub files: Vec<(String, String)>,
}

/// Why a project cannot be read.
#[derive(Debug)]
pub struct ProjectError {
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Project {
    /// Reads a project from a folder (every .clic file under it, minus what .gitignore
    /// ignores and `.git/`, `target/`, `.clic/`) or from a single .clic file.
    pub fn discover(path: &Path) -> Result<Project, ProjectError> {
        let meta = std::fs::metadata(path).map_err(|e| ProjectError {
            message: format!("cannot read `{}`: {}", path.display(), io_reason(&e)),
            help: Some("give a project folder or a .clic file".to_string()),
        })?;
        if !meta.is_dir() && path.extension().is_none_or(|e| e != "clic") {
            return Err(ProjectError {
                message: format!("`{}` is not a .clic file", path.display()),
                help: Some(
                    "give a project folder or a .clic file (a model manifest or a policy)"
                        .to_string(),
                ),
            });
        }
        let (base, only) = if meta.is_dir() {
            (path.to_path_buf(), None)
        } else {
            (
                path.parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                Some(path.to_path_buf()),
            )
        };
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let abs_base = std::fs::canonicalize(&base).map_err(|e| ProjectError {
            message: format!("cannot read `{}`: {}", base.display(), io_reason(&e)),
            help: None,
        })?;
        let root = git_root(&abs_base).unwrap_or_else(|| abs_base.clone());
        let mut paths = match only {
            Some(file) => vec![file],
            None => discover_files(&base),
        };
        paths.sort();
        if paths.is_empty() {
            // Run with no folder named, in a project's subfolder (`data/`, `docs/`):
            // the project is the nearest parent holding a .clic file, as git finds its
            // repository. A folder named on the command line is the project itself.
            let here = path == Path::new(".");
            if let Some(parent) = here
                .then(|| enclosing_project(&abs_base, git_root(&abs_base).as_deref()))
                .flatten()
            {
                return Project::discover(&parent);
            }
            return Err(ProjectError {
                message: format!(
                    "no .clic file under `{}` or in a folder above it",
                    path.display()
                ),
                help: Some(
                    "run `clic init` to scaffold a model manifest and its policies here, or give the project's folder"
                        .to_string(),
                ),
            });
        }
        let mut files = Vec::new();
        for p in paths {
            if let Some(why) = clic_runner::paths::escape(&root, &abs_base.join(shown(&base, &p))) {
                return Err(ProjectError {
                    message: format!("the source `{}` cannot be read: {why}", p.display()),
                    help: Some(
                        "copy the file into the project; a policy from outside it is not part of its evidence"
                            .to_string(),
                    ),
                });
            }
            let text = std::fs::read_to_string(&p).map_err(|e| ProjectError {
                message: format!("cannot read `{}`: {}", p.display(), io_reason(&e)),
                help: None,
            })?;
            files.push((shown(&base, &p), text));
        }
        Ok(Project {
            base: abs_base,
            root,
            files,
        })
    }

    /// The first input the manifest names (artifact, reference folder, labels, training
    /// list, the released version of `compare with`, documents) that does not resolve, after links, inside the project root:
    /// `(code, message)`. Nothing outside the project is ever read as an input.
    pub fn escaping_input(&self, spec: &ModelSpec, manifest_dir: &Path) -> Option<(Code, String)> {
        let mut named: Vec<(Code, &str, &str)> =
            vec![(Code::E021, "model artifact", &spec.artifact.path)];
        if let Some(r) = &spec.reference {
            named.push((Code::E022, "reference folder", &r.path));
            named.push((Code::E022, "labels file", &r.labels));
        }
        if let Some(t) = &spec.training_patients {
            named.push((Code::E022, "training patient list", t));
        }
        if let Some(c) = &spec.analysis.compare {
            // A released model is a model (E021); its predictions describe the reference
            // set's scans (E022), as the labels do.
            let (code, what) = if c.predictions {
                (Code::E022, "released version's predictions")
            } else {
                (Code::E021, "released model")
            };
            named.push((code, what, &c.path));
        }
        if let Some(r) = &spec.analysis.readers {
            // The readers' reads describe the reference set's units, as the labels do.
            named.push((Code::E022, "readers' file", &r.path));
        }
        for (kind, path) in &spec.documents {
            named.push((Code::E023, kind.as_str(), path));
        }
        named.into_iter().find_map(|(code, what, path)| {
            let why = clic_runner::paths::escape(&self.root, &manifest_dir.join(path))?;
            Some((
                code,
                format!(
                    "{}:{}: the {what} `{path}` cannot be used: {why}",
                    spec.source.file, spec.source.line
                ),
            ))
        })
    }

    /// A loader for `use "path"` imports of this project.
    pub fn loader(&self) -> FsLoader<'_> {
        FsLoader { project: self }
    }
}

/// The message of an IO error without the OS error number (the runner's one wording).
pub use clic_runner::fsio::io_reason;

fn shown(base: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(base).unwrap_or(p);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The nearest folder above `start` (absolute) that holds a .clic file directly,
/// within the git work tree `repo` when there is one.
fn enclosing_project(start: &Path, repo: Option<&Path>) -> Option<PathBuf> {
    start
        .ancestors()
        .skip(1)
        .take_while(|d| repo.is_none_or(|r| d.starts_with(r)))
        .find(|d| {
            std::fs::read_dir(d).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.path().extension().is_some_and(|x| x == "clic")
                        && e.file_type().is_ok_and(|t| t.is_file())
                })
            })
        })
        .map(Path::to_path_buf)
}

fn git_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

fn discover_files(base: &Path) -> Vec<PathBuf> {
    let mut ignores: Vec<(PathBuf, ignore::gitignore::Gitignore)> = Vec::new();
    let mut out = Vec::new();
    let mut walk = walkdir::WalkDir::new(base).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let is_dir = entry.file_type().is_dir();
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0
            && is_dir
            && matches!(name.as_ref(), ".git" | "target" | ".clic" | "node_modules")
        {
            walk.skip_current_dir();
            continue;
        }
        ignores.retain(|(dir, _)| path.starts_with(dir));
        let ignored = ignores
            .iter()
            .any(|(_, gi)| gi.matched_path_or_any_parents(path, is_dir).is_ignore());
        if ignored {
            if is_dir {
                walk.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            let gi_path = path.join(".gitignore");
            if gi_path.is_file() {
                let mut b = ignore::gitignore::GitignoreBuilder::new(path);
                let _ = b.add(&gi_path);
                if let Ok(gi) = b.build() {
                    ignores.push((path.to_path_buf(), gi));
                }
            }
        } else if path.extension().is_some_and(|e| e == "clic") {
            out.push(path.to_path_buf());
        }
    }
    out
}

/// Reads imported files, refusing any outside the project root.
pub struct FsLoader<'p> {
    project: &'p Project,
}

impl Loader for FsLoader<'_> {
    fn load(&mut self, from: &str, target: &str) -> Result<(String, String), String> {
        let from_dir = Path::new(from).parent().unwrap_or(Path::new(""));
        if Path::new(target).is_absolute() {
            return Err("absolute paths are not allowed".to_string());
        }
        let abs = clic_runner::paths::normalize(&self.project.base.join(from_dir).join(target));
        if !abs.starts_with(&self.project.root) {
            return Err("this path leaves the project".to_string());
        }
        let real = std::fs::canonicalize(&abs).map_err(|e| io_reason(&e))?;
        if !real.starts_with(&self.project.root) {
            return Err("this path leaves the project (through a link)".to_string());
        }
        let text = std::fs::read_to_string(&real).map_err(|e| io_reason(&e))?;
        let shown = match abs.strip_prefix(&self.project.base) {
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => pathdiff(&abs, &self.project.base),
        };
        Ok((shown, text))
    }
}

/// A relative path from `base` to `path` (both absolute and normalised).
fn pathdiff(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}
