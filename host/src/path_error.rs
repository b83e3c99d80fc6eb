//! The one way an I/O error says what was being done and on which path. Module errors
//! hold it as a `#[from]` source; `io_result.at("reading", &path)?` attaches it.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{what} {}: {source}", path.display())]
pub struct PathError {
    pub what: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl PathError {
    pub fn new(what: &'static str, path: &Path, source: io::Error) -> Self {
        Self {
            what,
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The known fault behind it (a full disk, a permission) and its fix, said for its
    /// path; `None` for other errors.
    pub fn fault_fix(&self) -> Option<String> {
        crate::fault::of_io(&self.source).map(|f| f.explain(&self.path))
    }
}

/// `.at(what, path)` on any `io::Result`.
pub trait AtPath<T> {
    fn at(self, what: &'static str, path: &Path) -> Result<T, PathError>;
}

impl<T> AtPath<T> for io::Result<T> {
    fn at(self, what: &'static str, path: &Path) -> Result<T, PathError> {
        self.map_err(|source| PathError::new(what, path, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_where_and_why_and_keeps_the_cause() {
        let e = std::fs::read("/nonexistent/csep-file")
            .at("reading", Path::new("/nonexistent/csep-file"))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(
            e.to_string()
                .starts_with("reading /nonexistent/csep-file: ")
        );
        assert!(std::error::Error::source(&e).is_some());
    }
}
