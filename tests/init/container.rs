//! A throw-away container for the init tests: a chroot holding only the static unitbox
//! binary, Debian's static busybox and unit files, booted as PID 1 of a fresh PID and
//! mount namespace (`unshare --pid --fork --mount-proc`). A second `systemctl` enters it
//! with `nsenter`, as `docker exec` would.

use crate::support::Run;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const MUSL: &str = "x86_64-unknown-linux-musl";

/// The static binary, built once per test process. Its own target directory: the
/// `cargo test` that runs us may still hold the lock of the default one.
pub fn static_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let target_dir = workspace.join("target/init-static");
        let installed = Command::new("rustup")
            .args(["target", "list", "--installed"])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l == MUSL)
            })
            .unwrap_or(false);
        if !installed {
            let ok = Command::new("rustup")
                .args(["target", "add", MUSL])
                .status();
            assert!(ok.is_ok_and(|s| s.success()), "rustup target add {MUSL}");
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&workspace)
            .args(["build", "--target", MUSL, "-p", "unitbox", "--target-dir"])
            .arg(&target_dir)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "static build failed");
        target_dir.join(MUSL).join("debug/unitbox")
    })
}

/// Debian's static busybox, installed when missing.
fn busybox() -> PathBuf {
    let path = PathBuf::from("/usr/bin/busybox");
    let is_static = |p: &Path| {
        Command::new("file")
            .arg(p)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("statically linked"))
            .unwrap_or(false)
    };
    if !is_static(&path) {
        let ok = Command::new("apt-get")
            .args(["install", "-y", "-qq", "busybox-static"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "apt-get install busybox-static"
        );
    }
    path
}

pub struct Rootfs {
    pub dir: tempfile::TempDir,
}

impl Rootfs {
    pub fn new() -> Rootfs {
        let dir = tempfile::Builder::new()
            .prefix("unitbox-init-")
            .tempdir()
            .expect("tempdir");
        let r = dir.path();
        for d in [
            "bin",
            "usr/bin",
            "etc/systemd/system",
            "tmp",
            "run",
            "proc",
            "dev",
            "home",
        ] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        for d in ["tmp", "run"] {
            set_mode(&r.join(d), 0o1777);
        }
        std::fs::copy(busybox(), r.join("bin/busybox")).unwrap();
        for applet in [
            "sh", "sleep", "echo", "cat", "touch", "kill", "grep", "ls", "seq", "wc", "env",
        ] {
            symlink("busybox", r.join("bin").join(applet)).unwrap();
        }
        std::fs::copy(static_binary(), r.join("usr/bin/unitbox")).unwrap();
        symlink("unitbox", r.join("usr/bin/systemctl")).unwrap();
        let _ = nix::sys::stat::mknod(
            &r.join("dev/null"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o666),
            nix::sys::stat::makedev(1, 3),
        );
        set_mode(&r.join("dev/null"), 0o666);
        let fs = Rootfs { dir };
        fs.write(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nwww:x:33:33::/var/www:/bin/sh\n",
        );
        fs.write("/etc/group", "root:x:0:\napp:x:1000:\nwww:x:33:\n");
        fs.write(
            "/usr/lib/systemd/system/multi-user.target",
            "[Unit]\nDescription=Multi-User System\n",
        );
        fs
    }

    pub fn path(&self, logical: &str) -> PathBuf {
        self.dir.path().join(logical.trim_start_matches('/'))
    }

    pub fn write(&self, logical: &str, text: &str) -> &Self {
        let p = self.path(logical);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    /// A service enabled in `target` (`WantedBy=`), as `systemctl enable` would link it.
    pub fn enabled(&self, dir: &str, name: &str, target: &str, text: &str) -> &Self {
        self.write(&format!("{dir}/{name}"), text);
        let wants = self.path(&format!("{dir}/{target}.wants"));
        std::fs::create_dir_all(&wants).unwrap();
        symlink(format!("{dir}/{name}"), wants.join(name)).unwrap();
        self
    }

    pub fn chown(&self, logical: &str, uid: u32) {
        let _ = Command::new("chown")
            .args(["-R", &format!("{uid}:{uid}")])
            .arg(self.path(logical))
            .status();
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A booted container: `unshare` (our child) and the init inside it.
pub struct Container {
    pub fs: Rootfs,
    unshare: Child,
    /// The init's pid as seen from the host.
    pub host_pid: i32,
    console: PathBuf,
    pub user: Option<(u32, u32)>,
}

impl Container {
    /// Boots `systemctl` (no verb) as PID 1; `user` runs it under that uid:gid.
    pub fn boot(fs: Rootfs, user: Option<(u32, u32)>, env: &[(&str, &str)]) -> Container {
        Self::boot_wrapped(fs, user, env, &[])
    }

    /// [`Container::boot`] with `wrapper` (a command and its options, e.g. `setpriv
    /// --bounding-set=-sys_admin`) run in the namespaces before the chroot.
    pub fn boot_wrapped(
        fs: Rootfs,
        user: Option<(u32, u32)>,
        env: &[(&str, &str)],
        wrapper: &[&str],
    ) -> Container {
        let console = fs.dir.path().with_extension("console");
        // Appending, as a pipe behaves (`docker logs`): supervisors that reopen PID 1's
        // stdout through /proc/1/fd/1 must not write over what is there.
        std::fs::File::create(&console).unwrap();
        let out = std::fs::OpenOptions::new()
            .append(true)
            .open(&console)
            .unwrap();
        let mut cmd = Command::new("unshare");
        cmd.arg("--pid")
            .arg("--fork")
            .arg(format!("--mount-proc={}", fs.path("/proc").display()))
            .arg("env")
            .arg("-i")
            .arg("PATH=/usr/bin:/bin");
        for (k, v) in env {
            cmd.arg(format!("{k}={v}"));
        }
        cmd.args(wrapper).arg("/usr/sbin/chroot");
        if let Some((uid, gid)) = user {
            cmd.arg(format!("--userspec={uid}:{gid}"))
                .arg(format!("--groups={gid}"));
        }
        cmd.arg(fs.dir.path()).arg("/usr/bin/systemctl");
        let unshare = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn unshare");
        let parent = unshare.id() as i32;
        let host_pid = wait_for(Duration::from_secs(10), || child_of(parent))
            .expect("the init process did not appear");
        let c = Container {
            fs,
            unshare,
            host_pid,
            console,
            user,
        };
        // The init's pid changes from chroot's exec only in name; wait until it is us.
        wait_for(Duration::from_secs(10), || {
            let exe = std::fs::read_link(format!("/proc/{}/exe", c.host_pid)).ok()?;
            exe.to_string_lossy().contains("unitbox").then_some(())
        })
        .expect("PID 1 never became unitbox");
        c
    }

    /// Runs a command inside the container (its namespaces and root), like `docker exec`.
    pub fn exec(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new("nsenter");
        cmd.arg("-t")
            .arg(self.host_pid.to_string())
            .args(["-p", "-m", "-r", "-w"]);
        if let Some((uid, gid)) = self.user {
            cmd.arg(format!("-S{uid}")).arg(format!("-G{gid}"));
        }
        cmd.arg("env")
            .arg("-i")
            .arg("PATH=/usr/bin:/bin")
            .args(args);
        crate::support::run_cmd(&mut cmd)
    }

    pub fn systemctl(&self, args: &[&str]) -> Run {
        let mut all = vec!["/usr/bin/systemctl"];
        all.extend_from_slice(args);
        self.exec(&all)
    }

    /// Waits until `systemctl is-system-running` leaves `initializing`/`starting`.
    pub fn wait_booted(&self) -> String {
        wait_for(Duration::from_secs(30), || {
            let state = self
                .systemctl(&["is-system-running"])
                .stdout
                .trim()
                .to_string();
            (!["initializing", "starting", "offline", ""].contains(&state.as_str()))
                .then_some(state)
        })
        .unwrap_or_else(|| panic!("never booted; console:\n{}", self.console()))
    }

    pub fn console(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }

    /// Waits for the init to exit; its exit status and how long that took.
    pub fn wait_exit(&mut self, limit: Duration) -> (i32, Duration) {
        let start = Instant::now();
        let status = wait_for(limit, || self.unshare.try_wait().ok().flatten());
        match status {
            Some(s) => (s.code().unwrap_or(-1), start.elapsed()),
            None => panic!(
                "the init did not exit within {limit:?}; console:\n{}",
                self.console()
            ),
        }
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: signalling the init we started.
        unsafe { libc::kill(self.host_pid, signal) };
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if self.unshare.try_wait().ok().flatten().is_none() {
            // Killing PID 1 of the namespace takes every process in it along.
            // SAFETY: our own container's init.
            unsafe { libc::kill(self.host_pid, libc::SIGKILL) };
            let _ = self.unshare.wait();
        }
        let _ = std::fs::remove_file(&self.console);
    }
}

fn child_of(parent: i32) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Polls `probe` until it gives a value or `limit` passes. Tests watch processes of
/// another namespace, for which there is no event to wait on.
pub fn wait_for<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
