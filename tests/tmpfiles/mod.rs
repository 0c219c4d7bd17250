//! systemd-tmpfiles against systemd 252's own (`/usr/bin/systemd-tmpfiles --root=DIR`):
//! the same tree in two copies, both run, then the trees (types, modes, owners, sizes,
//! contents, symlink targets), the messages and the exit codes compared.

mod cases;
mod real;

use crate::support::{applet, run_cmd, Run};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

pub const ORACLE: &str = "/usr/bin/systemd-tmpfiles";

/// Two identical trees made by `setup`.
pub struct Twin {
    pub ours: tempfile::TempDir,
    pub theirs: tempfile::TempDir,
}

impl Twin {
    pub fn new(setup: impl Fn(&Path)) -> Twin {
        let make = || {
            let dir = tempfile::Builder::new()
                .prefix("tmpfiles-")
                .tempdir()
                .unwrap();
            setup(dir.path());
            dir
        };
        Twin {
            ours: make(),
            theirs: make(),
        }
    }

    /// Runs both with `--root=` their tree and `args`; asserts equal output, exit code and
    /// resulting trees. Returns our run (paths of the root replaced by `ROOT`).
    pub fn compare(&self, args: &[&str]) -> Run {
        self.compare_with_stdin(args, None)
    }

    pub fn compare_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let run = |exe: &Path, dir: &Path| {
            let mut cmd = Command::new(exe);
            cmd.arg(format!("--root={}", dir.display())).args(args);
            let r = match stdin {
                Some(text) => run_with_stdin(&mut cmd, text),
                None => run_cmd(&mut cmd),
            };
            let clean = |s: &str| {
                s.replace(&dir.display().to_string(), "ROOT")
                    .replace(&exe.display().to_string(), "PROG")
            };
            Run {
                code: r.code,
                stdout: clean(&r.stdout),
                stderr: sorted_lines(&clean(&r.stderr)),
            }
        };
        let theirs = run(Path::new(ORACLE), self.theirs.path());
        let ours = run(&applet("systemd-tmpfiles"), self.ours.path());
        assert_eq!(ours, theirs, "output differs for {args:?}");
        let (a, b) = (snapshot(self.ours.path()), snapshot(self.theirs.path()));
        let differing: Vec<_> = a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(v))
            .map(|(k, v)| format!("ours {k}: {v} / 252: {:?}", b.get(k)))
            .chain(
                b.iter()
                    .filter(|(k, _)| !a.contains_key(*k))
                    .map(|(k, v)| format!("only 252 has {k}: {v}")),
            )
            .collect();
        assert!(
            differing.is_empty(),
            "trees differ for {args:?}:\n{}",
            differing.join("\n")
        );
        ours
    }
}

/// Messages in a stable order (252 walks hash maps; the order of its lines is not part of
/// what we promise).
fn sorted_lines(s: &str) -> String {
    let mut lines: Vec<&str> = s.lines().collect();
    lines.sort();
    lines.join("\n")
}

fn run_with_stdin(cmd: &mut Command, text: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every node under `dir`: type, mode, owner, size and content or link target.
pub fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let ft = meta.file_type();
            let what = if ft.is_symlink() {
                format!("link {}", std::fs::read_link(&p).unwrap().display())
                    .replace(&base.display().to_string(), "ROOT")
            } else if ft.is_dir() {
                "dir".to_string()
            } else if ft.is_file() {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default())
                    .replace(&base.display().to_string(), "ROOT");
                format!("file {text:?}")
            } else {
                format!("node {:o} {}", meta.mode() & libc::S_IFMT, meta.rdev())
            };
            let mode = if ft.is_symlink() {
                0
            } else {
                meta.mode() & 0o7777
            };
            out.insert(
                rel,
                format!("{what} {mode:o} {}:{}", meta.uid(), meta.gid()),
            );
            if ft.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Writes `text` at `rel` below `dir`, making the parents.
pub fn put(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A tree with one configuration file `etc/tmpfiles.d/test.conf`.
pub fn with_conf(conf: &str) -> Twin {
    let conf = conf.to_string();
    Twin::new(move |d| put(d, "etc/tmpfiles.d/test.conf", &conf))
}
