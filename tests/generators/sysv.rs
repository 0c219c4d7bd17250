//! The built-in SysV generator against systemd 252's own `systemd-sysv-generator` (run
//! offline on the same tree through its `SYSTEMD_SYSVINIT_PATH`/`SYSTEMD_SYSVRCND_PATH`),
//! and init scripts started by `systemctl` in a container with and without our PID 1.

use super::script;
use crate::init::container::{Container, Rootfs};
use crate::support::Tree;
use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

const ORACLE: &str = "/lib/systemd/system-generators/systemd-sysv-generator";

/// An LSB script as Debian ships them: facilities, a Provides alias, a two-line
/// Description, a usage line with reload.
pub const ZZZ: &str = "#!/bin/sh\n\
### BEGIN INIT INFO\n\
# Provides:          zzz zed\n\
# Required-Start:    $remote_fs $syslog $network\n\
# Required-Stop:     $remote_fs\n\
# Should-Start:      $time\n\
# Default-Start:     2 3 4 5\n\
# Default-Stop:      0 1 6\n\
# Short-Description: ZZZ daemon\n\
# Description:       The zzz daemon does\n\
#                    nothing at all.\n\
### END INIT INFO\n\
case \"$1\" in\n\
  start) echo started > /zzz.out; sleep 1000 >/dev/null 2>&1 & echo $! > /run/zzz.pid ;;\n\
  stop) kill $(cat /run/zzz.pid); echo stopped >> /zzz.out ;;\n\
  reload) echo reloaded >> /zzz.out ;;\n\
  *) echo \"Usage: $0 {start|stop|reload}\" >&2; exit 1 ;;\n\
esac\n";

fn scripts(t: &Tree) {
    script(t, "/etc/init.d/zzz", ZZZ);
    // Red Hat style: chkconfig description with a continuation, a pidfile, no LSB.
    script(
        t,
        "/etc/init.d/rhd",
        "#!/bin/sh\n# chkconfig: 2345 20 80\n# description: An old \\\n#   Red Hat daemon\n# pidfile: /run/rhd.pid\n\
         echo \"usage: rhd start|stop\"\n",
    );
    // No headers at all, a later start priority than rhd: ordered after it.
    script(t, "/etc/init.d/bare.sh", "#!/bin/sh\nexit 0\n");
    // LSB with the odd facilities and X-Start-Before, Provides of its own name.
    script(
        t,
        "/etc/init.d/odd",
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: odd $custom\n# Required-Start: $named $portmap $local_fs other\n\
         # X-Start-Before: $network later\n# Description: only\n#\tlong 100%\n### END INIT INFO\n",
    );
    // A native unit exists: no unit is generated; not executable: ignored; a backup file.
    script(t, "/etc/init.d/native", "#!/bin/sh\n");
    t.write(
        "/usr/lib/systemd/system/native.service",
        "[Service]\nExecStart=/bin/true\n",
    );
    t.write("/etc/init.d/plain", "#!/bin/sh\n");
    script(t, "/etc/init.d/zzz.dpkg-old", "#!/bin/sh\n");
    for (dir, link) in [
        ("rc2.d", "S01zzz"),
        ("rc3.d", "S01zzz"),
        ("rc5.d", "S01zzz"),
        ("rc0.d", "K01zzz"),
        ("rc2.d", "S20rhd"),
        ("rc2.d", "S30bare.sh"),
        ("rc1.d", "S05odd"),
        ("rcS.d", "S01native"),
    ] {
        let target = link[3..].to_string();
        t.symlink(
            &format!("../init.d/{target}"),
            &format!("/etc/{dir}/{link}"),
        );
    }
}

/// Every file and link under `dir`: relative path → content or `-> target`, with `strip`
/// removed from contents.
fn listing(dir: &Path, strip: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                );
            } else if meta.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read_to_string(&p).unwrap().replace(strip, ""));
            }
        }
    }
    out
}

/// 252 adds the start-priority orderings between scripts (`fix_order()`) in hash order,
/// which differs from run to run: those lines are compared as a set, the rest verbatim.
fn priority_order(text: &str) -> (String, Vec<String>) {
    let mut kept = String::new();
    let mut ordering = Vec::new();
    for line in text.split_inclusive('\n') {
        let between_scripts = (line.starts_with("Before=") || line.starts_with("After="))
            && ["zzz", "rhd", "bare", "odd"]
                .iter()
                .any(|s| line.trim_end().ends_with(&format!("={s}.service")));
        if between_scripts {
            ordering.push(line.to_string());
        } else {
            kept.push_str(line);
        }
    }
    ordering.sort();
    (kept, ordering)
}

#[test]
fn sysv_units_are_252s_byte_for_byte() {
    if !Path::new(ORACLE).exists() {
        eprintln!("skipped: no {ORACLE}");
        return;
    }
    let t = Tree::new();
    scripts(&t);
    let oracle_out = tempfile::tempdir().unwrap();
    let root = t.path().display().to_string();
    let o = Command::new(ORACLE)
        .args([oracle_out.path(), oracle_out.path(), oracle_out.path()])
        .env("SYSTEMD_SYSVINIT_PATH", format!("{root}/etc/init.d"))
        .env("SYSTEMD_SYSVRCND_PATH", format!("{root}/etc"))
        .env(
            "SYSTEMD_UNIT_PATH",
            format!("{root}/etc/systemd/system:{root}/usr/lib/systemd/system"),
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let r = t.systemctl(&["daemon-reload"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(
        r.stderr
            .contains("SysV service '/etc/init.d/zzz' lacks a native systemd unit file."),
        "{r:#?}"
    );
    let ours = listing(&t.host("/run/systemd/generator.late"), "");
    let theirs = listing(oracle_out.path(), &root);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (file, text) in &ours {
        assert_eq!(
            priority_order(text),
            priority_order(&theirs[file]),
            "{file}"
        );
    }
    assert!(ours.contains_key("zzz.service") && ours.contains_key("bare.service"));

    // 252 (systemctl show of a booted 252): generated, the script as SourcePath.
    let show = t.systemctl(&[
        "show",
        "-p",
        "UnitFileState",
        "-p",
        "SourcePath",
        "-p",
        "Type",
        "-p",
        "Names",
        "zzz.service",
    ]);
    assert_eq!(
        show.stdout,
        "Type=forking\nNames=zzz.service zed.service\nSourcePath=/etc/init.d/zzz\nUnitFileState=generated\n"
    );
    // As 252 answers through systemd-sysv-install: the rc links, not the generated unit.
    let r = t.systemctl(&["is-enabled", "zzz.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "enabled\n"), "{r:#?}");
    let r = t.systemctl(&["is-enabled", "zed.service"]);
    assert_eq!(r.stdout, "alias\n", "{r:#?}");
}

fn zzz_rootfs() -> Rootfs {
    let fs = Rootfs::new();
    fs.write("/etc/init.d/zzz", ZZZ);
    std::fs::set_permissions(
        fs.path("/etc/init.d/zzz"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    fs
}

#[test]
fn pid1_boots_an_init_script_enabled_by_rc_links() {
    let fs = zzz_rootfs();
    for dir in ["rc2.d", "rc3.d", "rc5.d"] {
        std::fs::create_dir_all(fs.path(&format!("/etc/{dir}"))).unwrap();
        symlink("../init.d/zzz", fs.path(&format!("/etc/{dir}/S01zzz"))).unwrap();
    }
    let c = Container::boot(fs, None, &[]);
    c.wait_booted();
    let r = c.systemctl(&["is-active", "zzz.service"]);
    assert_eq!(r.stdout, "active\n", "console:\n{}", c.console());
    assert_eq!(
        std::fs::read_to_string(c.fs.path("/zzz.out")).unwrap(),
        "started\n"
    );
    c.systemctl(&["reload", "zed.service"]).ok();
    c.systemctl(&["stop", "zzz"]).ok();
    assert_eq!(
        std::fs::read_to_string(c.fs.path("/zzz.out")).unwrap(),
        "started\nreloaded\nstopped\n"
    );
}

/// A shell in the image, no PID 1 of ours: `systemctl start zzz` of a unit that exists
/// only as `/etc/init.d/zzz`.
#[test]
fn without_pid1_systemctl_starts_a_unit_that_is_only_an_init_script() {
    let fs = zzz_rootfs();
    let r = super::pid1::shell_without_pid1(
        &fs,
        "systemctl start zzz && systemctl is-active zzz.service; systemctl is-enabled zzz; \
         systemctl stop zzz; cat /zzz.out",
    );
    assert_eq!(r.stdout, "active\ndisabled\nstarted\nstopped\n", "{r:#?}");
}
