//! Shared test helpers: the binary under test, scratch root trees, and the systemd 252
//! oracle (`/usr/bin/systemctl --root=DIR`) for differential tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The freshly built multicall binary.
pub fn unitbox() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_unitbox"))
}

/// A directory with one symlink per applet (`systemctl`, …) pointing at the binary, made
/// by `unitbox --install` itself.
pub fn applet_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Under cargo's per-target scratch dir, one per test process (helpers and CI may
        // run several test processes at once).
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("applets-{}", std::process::id()));
        let out = Command::new(unitbox())
            .arg("--install")
            .arg(&dir)
            .output()
            .expect("run unitbox --install");
        assert!(out.status.success(), "unitbox --install failed: {out:?}");
        dir
    })
}

/// Path of an applet symlink, e.g. `applet("systemctl")`.
pub fn applet(name: &str) -> PathBuf {
    applet_dir().join(name)
}

/// The oracle: the machine's own systemd 252 systemctl. Never replaced by unitbox.
pub const ORACLE: &str = "/usr/bin/systemctl";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }
}

pub fn run_cmd(cmd: &mut Command) -> Run {
    run_cmd_in_locale(cmd, "C.UTF-8")
}

/// [`run_cmd`] under the locale `lc_all` (systemd quotes differently in `C`).
pub fn run_cmd_in_locale(cmd: &mut Command, lc_all: &str) -> Run {
    let out = cmd
        .stdin(Stdio::null())
        .env("SYSTEMD_COLORS", "0")
        .env("SYSTEMD_PAGER", "")
        .env("LC_ALL", lc_all)
        .output()
        .expect("spawn");
    Run {
        code: out.status.code().unwrap_or(128 + 9),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a Python 3 script with `input` on its stdin (for checking JSON with a real
/// parser); asserts that it succeeds and returns its stdout.
pub fn python(script: &str, input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    // Written from another thread: with a large input, python's output could fill its
    // pipe while we are still writing.
    let mut stdin = child.stdin.take().expect("python3 stdin");
    let input_bytes = input.as_bytes().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input_bytes));
    let out = child.wait_with_output().expect("python3");
    writer
        .join()
        .expect("writer thread")
        .expect("write to python3");
    assert!(out.status.success(), "python3 failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch directory used as `--root`, with helpers to write unit files into it.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("unitbox-root-")
            .tempdir()
            .expect("tempdir");
        for d in [
            "etc/systemd/system",
            "usr/lib/systemd/system",
            "run/systemd/system",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Tree { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Host path of a logical path inside the tree.
    pub fn host(&self, logical: &str) -> PathBuf {
        self.path().join(logical.trim_start_matches('/'))
    }

    pub fn write(&self, logical: &str, text: &str) -> &Self {
        let p = self.host(logical);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn symlink(&self, target: &str, logical: &str) -> &Self {
        let p = self.host(logical);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
        self
    }

    /// Runs our systemctl with `--root=` this tree.
    pub fn systemctl(&self, args: &[&str]) -> Run {
        run_cmd(
            Command::new(applet("systemctl"))
                .arg(format!("--root={}", self.path().display()))
                .args(args),
        )
    }

    /// Runs systemd's systemctl with `--root=` this tree.
    pub fn oracle(&self, args: &[&str]) -> Run {
        run_cmd(
            Command::new(ORACLE)
                .arg(format!("--root={}", self.path().display()))
                .args(args),
        )
    }

    /// A copy of this tree (for running the oracle and unitbox on equal inputs).
    pub fn copy(&self) -> Tree {
        let new = Tree::new();
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", self.path().display()))
            .arg(new.path())
            .status()
            .expect("cp");
        assert!(status.success());
        new
    }

    /// Every file and symlink under the tree: path → "file:<content>" or "link:<target>".
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                let ft = e.file_type().unwrap();
                if ft.is_symlink() {
                    out.insert(
                        rel,
                        format!("link:{}", std::fs::read_link(&p).unwrap().display()),
                    );
                } else if ft.is_dir() {
                    walk(base, &p, out);
                } else {
                    out.insert(
                        rel,
                        format!("file:{}", std::fs::read_to_string(&p).unwrap_or_default()),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    /// Replaces the tree's path in output, so the two copies' outputs compare equal.
    pub fn scrub(&self, text: &str) -> String {
        text.replace(&self.path().display().to_string(), "<ROOT>")
    }
}

/// Runs the same systemctl arguments on two copies of `tree`, ours and the oracle's, and
/// asserts equal exit codes, stdout, and resulting trees. Returns (ours, oracle's) with the
/// copies' paths in stdout and stderr replaced by `<ROOT>`.
pub fn differential(tree: &Tree, args: &[&str]) -> (Run, Run) {
    differential_in_locale(tree, args, "C.UTF-8")
}

/// [`differential`] under the locale `lc_all`.
pub fn differential_in_locale(tree: &Tree, args: &[&str], lc_all: &str) -> (Run, Run) {
    let run = |bin: &Path, t: &Tree| {
        let root = format!("--root={}", t.path().display());
        let r = run_cmd_in_locale(Command::new(bin).arg(root).args(args), lc_all);
        Run {
            code: r.code,
            stdout: t.scrub(&r.stdout),
            stderr: t.scrub(&r.stderr),
        }
    };
    let (ours_tree, theirs_tree) = (tree.copy(), tree.copy());
    let ours = run(&applet("systemctl"), &ours_tree);
    let theirs = run(Path::new(ORACLE), &theirs_tree);
    assert_eq!(
        (ours.code, &ours.stdout),
        (theirs.code, &theirs.stdout),
        "systemctl {args:?}: exit code/stdout differ (left: unitbox, right: systemd)\nours stderr: {}\ntheirs stderr: {}",
        ours.stderr,
        theirs.stderr
    );
    assert_eq!(
        ours_tree.snapshot(),
        theirs_tree.snapshot(),
        "systemctl {args:?}: resulting trees differ (left: unitbox, right: systemd)"
    );
    (ours, theirs)
}
