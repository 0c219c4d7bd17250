//! Generators under a unitbox PID 1 (boot), and in a container without one (a shell or a
//! `docker build` step: `systemctl` itself runs them when their output is stale).

use crate::init::container::{Container, Rootfs};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::process::Command;

fn executable(fs: &Rootfs, logical: &str, text: &str) {
    fs.write(logical, text);
    std::fs::set_permissions(fs.path(logical), std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn busybox_applets(fs: &Rootfs, names: &[&str]) {
    for name in names {
        let _ = symlink("busybox", fs.path(&format!("/bin/{name}")));
    }
}

/// Debian's postgresql-common 248 layout: its generator and units verbatim, two clusters
/// (15/main `auto`, 14/old `manual`), and a `pg_ctlcluster` stand-in that forks a
/// "postmaster" and writes the PID file the unit names.
fn postgresql(fs: &Rootfs) {
    busybox_applets(fs, &["sed", "test", "[", "mkdir", "ln", "true"]);
    executable(
        fs,
        "/lib/systemd/system-generators/postgresql-generator",
        include_str!("postgresql-generator"),
    );
    fs.write(
        "/lib/systemd/system/postgresql.service",
        include_str!("postgresql.service"),
    );
    fs.write(
        "/lib/systemd/system/postgresql@.service",
        include_str!("postgresql@.service"),
    );
    std::fs::create_dir_all(fs.path("/etc/systemd/system/multi-user.target.wants")).unwrap();
    symlink(
        "/lib/systemd/system/postgresql.service",
        fs.path("/etc/systemd/system/multi-user.target.wants/postgresql.service"),
    )
    .unwrap();
    for (version, cluster, start) in [("15", "main", "auto"), ("14", "old", "manual")] {
        fs.write(
            &format!("/etc/postgresql/{version}/{cluster}/postgresql.conf"),
            "port = 5432\n",
        );
        fs.write(
            &format!("/etc/postgresql/{version}/{cluster}/start.conf"),
            &format!("# start\n{start}\n"),
        );
        executable(
            fs,
            &format!("/usr/lib/postgresql/{version}/bin/postgres"),
            "#!/bin/sh\n",
        );
        std::fs::create_dir_all(fs.path(&format!("/var/lib/postgresql/{version}/{cluster}")))
            .unwrap();
    }
    executable(
        fs,
        "/usr/bin/pg_ctlcluster",
        "#!/bin/sh\n\
         # pg_ctlcluster --skip-systemctl-redirect [-m fast] VERSION-CLUSTER start|stop|reload\n\
         for a; do last2=$last; last=$a; done\n\
         mkdir -p /run/postgresql\n\
         case $last in\n\
           start) sleep 1000 & echo $! > /run/postgresql/$last2.pid ;;\n\
           stop) kill $(cat /run/postgresql/$last2.pid) ;;\n\
         esac\n",
    );
}

#[test]
fn pid1_runs_generators_at_boot_and_postgresqls_cluster_starts() {
    let fs = Rootfs::new();
    postgresql(&fs);
    executable(
        &fs,
        "/etc/systemd/system-generators/broken",
        "#!/bin/sh\necho broken says hi >&2\nexit 7\n",
    );
    let c = Container::boot(fs, None, &[]);
    let state = c.wait_booted();
    let console = c.console();
    assert!(
        console.contains("/etc/systemd/system-generators/broken failed with exit status 7."),
        "{console}"
    );
    assert!(console.contains("broken says hi"), "{console}");
    let r = c.systemctl(&[
        "is-active",
        "postgresql.service",
        "postgresql@15-main.service",
    ]);
    assert_eq!(
        r.stdout, "active\nactive\n",
        "state {state}; console:\n{console}"
    );
    let r = c.systemctl(&["is-active", "postgresql@14-old.service"]);
    assert_eq!(r.stdout, "inactive\n");
    let wants = c.exec(&["/bin/ls", "/run/systemd/generator/postgresql.service.wants"]);
    assert_eq!(wants.stdout, "postgresql@15-main.service\n");
    // pg_createcluster: a new cluster, then daemon-reload, then start of the parent.
    c.exec(&["/bin/sh", "-c", "mkdir -p /etc/postgresql/16/new /usr/lib/postgresql/16/bin && echo > /etc/postgresql/16/new/postgresql.conf && cp /usr/lib/postgresql/15/bin/postgres /usr/lib/postgresql/16/bin/"]);
    c.systemctl(&["daemon-reload"]).ok();
    c.systemctl(&["restart", "postgresql.service"]).ok();
    let r = c.systemctl(&["is-active", "postgresql@16-new.service"]);
    assert_eq!(r.stdout, "active\n", "console:\n{}", c.console());
}

/// Runs `script` with `sh` in the image, chrooted, `sh` itself PID 1 of a new PID
/// namespace: no unitbox PID 1 anywhere (a `docker build` step).
pub fn shell_without_pid1(fs: &Rootfs, script: &str) -> crate::support::Run {
    crate::support::run_cmd(
        Command::new("unshare")
            .arg("--pid")
            .arg("--fork")
            .arg(format!("--mount-proc={}", fs.path("/proc").display()))
            .arg("/usr/sbin/chroot")
            .arg(fs.dir.path())
            .args(["/bin/sh", "-c", script]),
    )
}

/// `systemctl` in the image with no PID 1 of ours (`sh` is PID 1 of the namespace):
/// the first command that loads units runs the generators; a changed generator directory
/// makes the next one run them again.
#[test]
fn without_pid1_systemctl_runs_stale_generators() {
    let fs = Rootfs::new();
    executable(
        &fs,
        "/etc/systemd/system-generators/g",
        "#!/bin/sh\necho run >> /gen-runs\nprintf '[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/touch /started\\n' > \"$1/gend.service\"\n",
    );
    let sh = |script: &str| shell_without_pid1(&fs, script);
    let r = sh("systemctl start gend.service && systemctl is-active gend.service && systemctl status gend.service >/dev/null; cat /gen-runs");
    assert_eq!(r.stdout, "active\nrun\n", "{r:#?}");
    assert!(fs.path("/started").exists());
    // A new generator: the output is stale, the next systemctl runs them all again.
    executable(
        &fs,
        "/etc/systemd/system-generators/h",
        "#!/bin/sh\nprintf '[Unit]\\nDescription=from h\\n' > \"$1/h.target\"\n",
    );
    let r = sh("systemctl show -p Description h.target; cat /gen-runs");
    assert_eq!(r.stdout, "Description=from h\nrun\nrun\n", "{r:#?}");
}
