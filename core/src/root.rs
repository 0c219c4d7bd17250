//! `--root=DIR`: every path unitbox works with is *logical* (as seen from inside the root,
//! e.g. `/etc/systemd/system/foo.service`) and is mapped to the host only when touching the
//! file system. Symlinks are read and written with logical targets, so a tree prepared with
//! `--root` is correct once it becomes the real root of a container.

use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    host: PathBuf,
}

impl Default for Root {
    fn default() -> Self {
        Root::host()
    }
}

/// How many symlinks we follow before giving up, as the kernel does (ELOOP).
const MAX_SYMLINKS: usize = 40;

impl Root {
    /// The machine's own root: logical and host paths are the same.
    pub fn host() -> Self {
        Root {
            host: PathBuf::from("/"),
        }
    }

    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir: PathBuf = dir.into();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from("/")
        } else {
            dir
        };
        Root { host: dir }
    }

    pub fn is_host(&self) -> bool {
        self.host == Path::new("/")
    }

    pub fn dir(&self) -> &Path {
        &self.host
    }

    /// Where the logical path lives on the host.
    pub fn host_path(&self, logical: &Path) -> PathBuf {
        if self.is_host() {
            return logical.to_path_buf();
        }
        let rel = logical.strip_prefix("/").unwrap_or(logical);
        self.host.join(rel)
    }

    /// Reads a symlink at a logical path; a relative target is made absolute against the
    /// link's directory, so the result is always a logical absolute path.
    pub fn read_link(&self, logical: &Path) -> io::Result<PathBuf> {
        let target = std::fs::read_link(self.host_path(logical))?;
        if target.is_absolute() {
            Ok(normalize(&target))
        } else {
            let parent = logical.parent().unwrap_or(Path::new("/"));
            Ok(normalize(&parent.join(target)))
        }
    }

    /// Follows every symlink of a logical path inside the root (a link can never leave it:
    /// `..` stops at the root, absolute targets restart at the root).
    pub fn canonicalize(&self, logical: &Path) -> io::Result<PathBuf> {
        let mut pending: Vec<std::ffi::OsString> = normalize(logical)
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_os_string()),
                _ => None,
            })
            .rev()
            .collect();
        let mut done = PathBuf::from("/");
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            let candidate = done.join(&part);
            let meta = std::fs::symlink_metadata(self.host_path(&candidate))?;
            if meta.file_type().is_symlink() {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = std::fs::read_link(self.host_path(&candidate))?;
                if target.is_absolute() {
                    done = PathBuf::from("/");
                }
                for c in target.components().rev() {
                    match c {
                        Component::Normal(s) => pending.push(s.to_os_string()),
                        Component::ParentDir => pending.push("..".into()),
                        _ => {}
                    }
                }
            } else {
                done = candidate;
            }
        }
        Ok(done)
    }
}

/// Lexical clean-up of `.` and `..` (no file system access).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn maps_logical_paths_into_the_root() {
        let root = Root::new("/tmp/r");
        assert_eq!(
            root.host_path(Path::new("/etc/x")),
            Path::new("/tmp/r/etc/x")
        );
        assert_eq!(
            Root::host().host_path(Path::new("/etc/x")),
            Path::new("/etc/x")
        );
    }

    #[test]
    fn canonicalize_keeps_absolute_links_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        std::fs::write(dir.path().join("usr/lib/a.service"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        symlink("/usr/lib/a.service", dir.path().join("etc/b.service")).unwrap();
        symlink(
            "../../../etc/b.service",
            dir.path().join("usr/lib/c.service"),
        )
        .unwrap();
        assert_eq!(
            root.canonicalize(Path::new("/etc/b.service")).unwrap(),
            Path::new("/usr/lib/a.service")
        );
        assert_eq!(
            root.canonicalize(Path::new("/usr/lib/c.service")).unwrap(),
            Path::new("/usr/lib/a.service")
        );
        assert_eq!(
            root.read_link(Path::new("/usr/lib/c.service")).unwrap(),
            Path::new("/etc/b.service")
        );
    }

    #[test]
    fn canonicalize_detects_loops() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/b", dir.path().join("a")).unwrap();
        symlink("/a", dir.path().join("b")).unwrap();
        let err = Root::new(dir.path())
            .canonicalize(Path::new("/a"))
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
    }
}
