//! Boot state as systemd 252's PID 1 leaves it in a container: the machine id (first
//! boot, `$container_uuid`, in place or transient on `/run/machine-id`),
//! `/run/systemd/container`, `/run/systemd/first-boot`, `/run/systemd/system`, and
//! `is-system-running` through a boot.

use super::container::{wait_for, Container, Rootfs};
use super::{service, SYS};
use std::time::Duration;

const UUID: &str = "01234567-89ab-cdef-0123-456789abcdef";
const ID: &str = "0123456789abcdef0123456789abcdef";

/// An enabled oneshot that records what a service sees: `%m` and `/etc/machine-id`.
fn witness(fs: &Rootfs) {
    fs.enabled(
        SYS,
        "witness.service",
        "multi-user.target",
        &service(
            "Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo %m > /tmp/m; cat /etc/machine-id > /tmp/etc'",
        ),
    );
}

fn inside(c: &Container, file: &str) -> String {
    c.exec(&["/bin/cat", file]).stdout
}

/// The mountinfo line of `/etc/machine-id` inside the container, if it is a mount.
fn machine_id_mount(c: &Container) -> Option<String> {
    inside(c, "/proc/self/mountinfo")
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/etc/machine-id"))
        .map(str::to_string)
}

#[test]
fn first_boot_takes_container_uuid_and_commits_it_as_machine_id_commit_does() {
    let fs = Rootfs::new();
    witness(&fs);
    let c = Container::boot(
        fs,
        None,
        &[("container", "podman"), ("container_uuid", UUID)],
    );
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    assert_eq!(inside(&c, "/etc/machine-id"), format!("{ID}\n"));
    assert_eq!(inside(&c, "/tmp/m"), format!("{ID}\n"));
    // Mounted transiently, then committed to disk (/etc is writable): no mount is left
    // and the file under it holds the id.
    assert_eq!(machine_id_mount(&c), None);
    let below = std::fs::read_to_string(c.fs.path("/etc/machine-id")).unwrap();
    assert_eq!(below, format!("{ID}\n"));
    assert_eq!(inside(&c, "/run/systemd/container"), "podman\n");
    // Still the first boot for ConditionFirstBoot=; /run/systemd/system marks the boot.
    let ls = c.exec(&[
        "/bin/ls",
        "-ld",
        "/run/systemd/system",
        "/run/systemd/first-boot",
    ]);
    assert_eq!(ls.code, 0, "{ls:?}");
    assert!(
        c.console()
            .contains("Initializing machine ID from container UUID."),
        "console:\n{}",
        c.console()
    );
}

#[test]
fn an_empty_machine_id_on_a_read_only_etc_is_a_transient_mount() {
    let fs = Rootfs::new();
    fs.write("/etc/machine-id", "");
    witness(&fs);
    // /etc read-only inside the container's mount namespace, before PID 1 starts.
    let c = Container::boot_wrapped(
        fs,
        None,
        &[],
        &[
            "/bin/sh",
            "-c",
            "mount --bind \"$1/etc\" \"$1/etc\" && mount -o remount,bind,ro \"$1/etc\" && exec \"$0\" \"$@\"",
        ],
    );
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    let id = inside(&c, "/etc/machine-id");
    assert_eq!(id.len(), 33, "{id:?}");
    assert_eq!(inside(&c, "/run/machine-id"), id);
    assert_eq!(inside(&c, "/tmp/m"), id);
    let mount = machine_id_mount(&c).expect("/etc/machine-id is not a mount");
    assert!(
        mount.split(' ').nth(5).unwrap_or("").starts_with("ro"),
        "{mount}"
    );
    assert_eq!(
        std::fs::read_to_string(c.fs.path("/etc/machine-id")).unwrap(),
        ""
    );
    assert!(!c.fs.path("/run/systemd/first-boot").exists());
    assert!(
        c.console()
            .contains("Installed transient /etc/machine-id file."),
        "console:\n{}",
        c.console()
    );
}

#[test]
fn an_empty_machine_id_is_filled_in_place_and_a_failed_unit_degrades() {
    let fs = Rootfs::new();
    fs.write("/etc/machine-id", "");
    witness(&fs);
    fs.enabled(
        SYS,
        "broken.service",
        "multi-user.target",
        &service("Type=oneshot\nExecStart=/bin/sh -c 'exit 3'"),
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "degraded", "console:\n{}", c.console());
    let state = c.systemctl(&["is-system-running"]);
    assert_eq!((state.code, state.stdout.as_str()), (1, "degraded\n"));
    let written = std::fs::read_to_string(c.fs.path("/etc/machine-id")).unwrap();
    let id = written.trim_end_matches('\n');
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{written:?}"
    );
    // A random id is a v4 UUID, as sd_id128_randomize() makes it.
    assert_eq!(&id[12..13], "4", "{id}");
    assert_eq!(inside(&c, "/tmp/m"), written);
    assert_eq!(machine_id_mount(&c), None);
    for absent in [
        "/run/systemd/container",
        "/run/systemd/first-boot",
        "/run/machine-id",
    ] {
        assert!(!c.fs.path(absent).exists(), "{absent} exists");
    }
    c.systemctl(&["reset-failed"]).ok();
    let state = c.systemctl(&["is-system-running"]);
    assert_eq!((state.code, state.stdout.as_str()), (0, "running\n"));
}

#[test]
fn without_cap_sys_admin_the_transient_machine_id_stays_on_run() {
    let fs = Rootfs::new();
    witness(&fs);
    let c = Container::boot_wrapped(
        fs,
        None,
        &[("container", "docker")],
        &["setpriv", "--bounding-set=-sys_admin"],
    );
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    assert_eq!(inside(&c, "/etc/machine-id"), "uninitialized\n");
    let id = inside(&c, "/run/machine-id");
    assert_eq!(id.len(), 33, "{id:?}");
    assert_eq!(inside(&c, "/tmp/m"), id);
    assert_eq!(machine_id_mount(&c), None);
    assert_eq!(inside(&c, "/run/systemd/container"), "docker\n");
    assert!(
        c.console().contains(
            "Failed to mount /run/machine-id on /etc/machine-id: Operation not permitted"
        ),
        "console:\n{}",
        c.console()
    );
}

#[test]
fn is_system_running_says_starting_during_boot_and_wait_waits_for_the_end() {
    let fs = Rootfs::new();
    fs.enabled(
        SYS,
        "slow.service",
        "multi-user.target",
        &service("Type=oneshot\nExecStart=/bin/sleep 3"),
    );
    let c = Container::boot(fs, None, &[]);
    let early = wait_for(Duration::from_secs(10), || {
        let r = c.systemctl(&["is-system-running"]);
        (r.stdout != "offline\n" && r.stdout != "initializing\n").then_some(r)
    })
    .expect("no init record");
    assert_eq!((early.code, early.stdout.as_str()), (1, "starting\n"));
    let waited = c.systemctl(&["is-system-running", "--wait"]);
    assert_eq!((waited.code, waited.stdout.as_str()), (0, "running\n"));
    let active = c.systemctl(&["is-active", "slow.service"]);
    assert_eq!(active.stdout, "inactive\n", "{active:?}");
}
