//! `--booted`: was this system (container) booted with unitbox as PID 1?
//!
//! systemd answers by the existence of `/run/systemd/system/`, a directory its PID 1 creates.
//! unitbox creates no such marker that could outlive it (a persistent `/run`), so we ask
//! the process itself: PID 1 is unitbox if `/proc/1/exe` is the very file we run from (same
//! device and inode), or a file named `unitbox`. Reading `/proc/1/exe` needs ptrace access
//! to PID 1 (root in the container has it); without it, PID 1's `argv[0]` decides
//! (`/proc/1/cmdline` is world-readable unless `/proc` is mounted with `hidepid=`).

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

const BINARY_NAME: &[u8] = b"unitbox";

pub fn booted_by_unitbox() -> bool {
    booted_by_unitbox_in(Path::new("/proc"))
}

fn booted_by_unitbox_in(proc: &Path) -> bool {
    let pid1_exe = proc.join("1/exe");
    if let (Ok(init), Ok(own)) = (
        std::fs::metadata(&pid1_exe),
        std::fs::metadata(proc.join("self/exe")),
    ) {
        if init.dev() == own.dev() && init.ino() == own.ino() {
            return true;
        }
    }
    if let Ok(target) = std::fs::read_link(&pid1_exe) {
        // A replaced binary reads as "/path/unitbox (deleted)".
        let name = target.file_name().map(|n| n.as_bytes()).unwrap_or_default();
        let name = name.strip_suffix(b" (deleted)").unwrap_or(name);
        return name == BINARY_NAME;
    }
    let Ok(cmdline) = std::fs::read(proc.join("1/cmdline")) else {
        return false;
    };
    let argv0 = cmdline.split(|&b| b == 0).next().unwrap_or_default();
    let name = argv0.rsplit(|&b| b == b'/').next().unwrap_or_default();
    name == BINARY_NAME
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_by_pid1s_executable_or_argv0() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("proc");
        std::fs::create_dir_all(fake.join("1")).unwrap();
        std::fs::create_dir_all(fake.join("self")).unwrap();
        // No exe links readable: argv[0] decides.
        std::fs::write(fake.join("1/cmdline"), b"/sbin/unitbox\0--init\0").unwrap();
        assert!(booted_by_unitbox_in(&fake));
        std::fs::write(fake.join("1/cmdline"), b"/sbin/tini\0--\0unitbox\0").unwrap();
        assert!(!booted_by_unitbox_in(&fake));
        // An exe link wins over argv[0].
        std::os::unix::fs::symlink("/usr/local/bin/unitbox (deleted)", fake.join("1/exe")).unwrap();
        assert!(booted_by_unitbox_in(&fake));
        std::fs::remove_file(fake.join("1/exe")).unwrap();
        std::os::unix::fs::symlink("/usr/lib/systemd/systemd", fake.join("1/exe")).unwrap();
        assert!(!booted_by_unitbox_in(&fake));
    }
}
