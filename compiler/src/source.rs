//! Source files and locations. A [`Loc`] is a byte range in one file of a [`SourceMap`].

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct FileId(pub u32);

/// A byte range in a source file. Two locations always compare equal so that AST
/// nodes compare by structure, never by offsets.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl PartialEq for Loc {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Loc {
    /// A location spanning `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self { file, start, end }
    }

    /// The smallest location covering both.
    pub fn to(self, other: Loc) -> Loc {
        Loc::new(
            self.file,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }
}

/// Where a source file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A file of the user's project.
    Project,
    /// A file of the standard library embedded in the binary.
    Stdlib,
}

/// One source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path shown to users: relative to the project root, or `policies/x.clic` for the standard library.
    pub path: String,
    /// Full text.
    pub text: String,
    /// Where it came from.
    pub origin: Origin,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

/// All source files of one compilation.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id. Adding the same path twice returns the first id.
    pub fn add(
        &mut self,
        path: impl Into<String>,
        text: impl Into<String>,
        origin: Origin,
    ) -> FileId {
        let path = path.into();
        if let Some(id) = self.find(&path) {
            return id;
        }
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            path,
            text,
            origin,
            line_starts,
        });
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    /// The id of the file with this path.
    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }

    /// The file behind an id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Every file with its id.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let Some(file) = self.get(id) else {
            return (1, 1);
        };
        let offset = offset.min(file.text.len());
        let line = file.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = file.line_starts.get(line - 1).copied().unwrap_or(0);
        let col = file
            .text
            .get(start..offset)
            .map_or(0, |l| l.chars().count())
            + 1;
        (line, col)
    }
}
