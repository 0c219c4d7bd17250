use super::*;
use crate::host::Virtualization;
use crate::root::Root;
use crate::unit::syntax;
use crate::users::Identity;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use tempfile::TempDir;

/// A unit whose fragment is `text` followed by the given drop-ins.
pub(super) fn unit(text: &str, dropins: &[&str]) -> Unit {
    let (mut entries, _) = syntax::parse(text, Path::new("/etc/systemd/system/t.service"));
    for (i, d) in dropins.iter().enumerate() {
        let path = format!("/etc/systemd/system/t.service.d/{i}.conf");
        entries.extend(syntax::parse(d, Path::new(&path)).0);
    }
    Unit::loaded_with(crate::unit::UnitName::parse("t.service").unwrap(), entries)
}

struct Fixture {
    dir: TempDir,
    scope: Scope,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let scope = Scope::new(
            ScopeKind::System,
            Root::new(dir.path()),
            Identity::root_user(),
            &|_| None,
        );
        Fixture { dir, scope }
    }

    fn file(&self, logical: &str, content: &str) -> &Self {
        let host = self.dir.path().join(logical.trim_start_matches('/'));
        fs::create_dir_all(host.parent().unwrap()).unwrap();
        fs::write(host, content).unwrap();
        self
    }

    fn mkdir(&self, logical: &str) -> &Self {
        fs::create_dir_all(self.dir.path().join(logical.trim_start_matches('/'))).unwrap();
        self
    }

    fn host(&self, logical: &str) -> std::path::PathBuf {
        self.dir.path().join(logical.trim_start_matches('/'))
    }

    /// A context whose host facts are all pinned, so tests do not depend on the machine.
    fn ctx(&self) -> ConditionContext<'_> {
        let mut ctx = ConditionContext::new(&self.scope, vec!["LANG=C".into(), "EMPTY=".into()]);
        ctx.manager = ManagerIdentity {
            uid: 0,
            user: "root".into(),
            groups: vec![0],
        };
        ctx.host = pinned();
        ctx
    }

    fn eval(&self, text: &str) -> ConditionOutcome {
        evaluate(&unit(&format!("[Unit]\n{text}"), &[]), &self.ctx())
    }

    fn holds(&self, setting: &str) -> bool {
        let outcome = self.eval(setting);
        assert!(
            outcome.diagnostics.is_empty(),
            "{setting}: {:?}",
            outcome.diagnostics
        );
        assert!(
            !outcome.conditions.is_empty() || !outcome.asserts.is_empty(),
            "{setting} was not read"
        );
        outcome.is_met()
    }
}

fn pinned() -> HostFacts {
    HostFacts::default()
        .with_hostname("web1.example.com")
        .with_kernel_release("6.1.0-18-amd64")
        .with_machine("x86_64")
        .with_kernel_cmdline("quiet console=ttyS0 root=/dev/vda1 \"with space=x y\"")
        .with_virtualization(Virtualization::container("docker"))
        .with_user_namespace(false)
        .with_physical_memory(4 << 30)
        .with_cpus(2)
        .with_capability_bounding_set(1 << 12)
        .with_ac_power(true)
}

#[test]
fn path_conditions_look_inside_the_root() {
    let f = Fixture::new();
    f.file("/etc/only-in-root", "x")
        .file("/etc/empty", "")
        .file("/usr/bin/tool", "#!/bin/sh\n")
        .mkdir("/var/empty")
        .mkdir("/var/hidden")
        .file("/var/hidden/.keep", "")
        .file("/var/hidden/old~", "")
        .mkdir("/var/full")
        .file("/var/full/a", "");
    fs::set_permissions(f.host("/usr/bin/tool"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("/etc/only-in-root", f.host("/etc/link")).unwrap();
    symlink("/nowhere", f.host("/etc/dangling")).unwrap();

    assert!(f.holds("ConditionPathExists=/etc/only-in-root"));
    assert!(f.holds("ConditionPathExists=/etc/link"));
    assert!(!f.holds("ConditionPathExists=/etc/dangling"));
    assert!(!f.holds("ConditionPathExists=/etc/missing"));
    // Exists on the host, not in the root.
    assert!(!f.holds("ConditionPathExists=/proc/self/status"));
    assert!(f.holds("ConditionPathExists=!/etc/missing"));
    assert!(f.holds("ConditionPathIsDirectory=/var/empty"));
    assert!(!f.holds("ConditionPathIsDirectory=/etc/only-in-root"));
    assert!(f.holds("ConditionPathIsSymbolicLink=/etc/link"));
    assert!(f.holds("ConditionPathIsSymbolicLink=/etc/dangling"));
    assert!(!f.holds("ConditionPathIsSymbolicLink=/etc/only-in-root"));
    assert!(!f.holds("ConditionDirectoryNotEmpty=/var/empty"));
    assert!(!f.holds("ConditionDirectoryNotEmpty=/var/hidden"));
    assert!(f.holds("ConditionDirectoryNotEmpty=/var/full"));
    assert!(!f.holds("ConditionDirectoryNotEmpty=/etc/only-in-root"));
    assert!(!f.holds("ConditionDirectoryNotEmpty=/missing"));
    assert!(f.holds("ConditionFileNotEmpty=/etc/only-in-root"));
    assert!(f.holds("ConditionFileNotEmpty=/etc/link"));
    assert!(!f.holds("ConditionFileNotEmpty=/etc/empty"));
    assert!(!f.holds("ConditionFileNotEmpty=/var/full"));
    assert!(f.holds("ConditionFileIsExecutable=/usr/bin/tool"));
    assert!(!f.holds("ConditionFileIsExecutable=/etc/only-in-root"));
    assert!(!f.holds("ConditionFileIsExecutable=/var/full"));
    assert!(f.holds("ConditionPathExistsGlob=/var/*/a"));
    assert!(!f.holds("ConditionPathExistsGlob=/var/*/b*"));
    assert!(f.holds("ConditionPathIsReadWrite=/var/full"));
    assert!(!f.holds("ConditionPathIsReadWrite=/missing"));
    assert!(f.holds("ConditionPathIsMountPoint=/"));
    assert!(!f.holds("ConditionPathIsMountPoint=/var/full"));
    assert!(!f.holds("ConditionPathIsEncrypted=/"));
}

#[test]
fn mount_points_come_from_mountinfo() {
    // /proc is a mount point on every Linux system that runs these tests.
    let scope = Scope::new(
        ScopeKind::System,
        Root::host(),
        Identity::root_user(),
        &|_| None,
    );
    let ctx = ConditionContext::new(&scope, Vec::new());
    let u = unit("[Unit]\nConditionPathIsMountPoint=/proc\n", &[]);
    assert!(evaluate(&u, &ctx).is_met());
    let u = unit("[Unit]\nConditionPathIsMountPoint=/proc/self\n", &[]);
    assert!(!evaluate(&u, &ctx).is_met());
}

#[test]
fn negation_inverts_and_triggers_need_one_success() {
    let f = Fixture::new();
    f.file("/a", "x");
    assert!(!f.holds("ConditionPathExists=!/a"));
    // Only triggering conditions: one of them must hold.
    assert!(f.holds("ConditionPathExists=|/missing\nConditionPathExists=|/a"));
    assert!(!f.holds("ConditionPathExists=|/missing\nConditionPathExists=|/gone"));
    assert!(f.holds("ConditionPathExists=|!/missing\nConditionPathExists=|/gone"));
    // A failing non-triggering condition wins over a passing triggering one.
    assert!(!f.holds("ConditionPathExists=|/a\nConditionPathExists=/missing"));
    // Non-triggering ones all hold, and one trigger holds.
    assert!(
        f.holds("ConditionPathExists=/a\nConditionPathExists=|/missing\nConditionPathExists=|/a")
    );
    // `!|` is not a trigger: the `|` becomes part of a (relative, hence ignored) path.
    let outcome = f.eval("ConditionPathExists=!|/a");
    assert_eq!(outcome.diagnostics.len(), 1);
    assert!(outcome.conditions.is_empty());
}

#[test]
fn the_last_assignment_is_tested_first_and_reported() {
    let f = Fixture::new();
    f.file("/a", "x");
    let outcome = f.eval("ConditionPathExists=/missing1\nConditionPathExists=/missing2\n");
    assert_eq!(outcome.verdict, Verdict::ConditionFailed);
    assert_eq!(outcome.not_met(), ["ConditionPathExists=/missing2"]);
    assert_eq!(
        outcome.conditions[1].result,
        ConditionResult::Untested,
        "evaluation stops at the first failure"
    );
    // Failed triggers evaluated before the failing non-trigger are reported too.
    let outcome = f.eval(
        "ConditionPathExists=/missing\nConditionPathExists=|/gone\nConditionPathExists=|!/a\n",
    );
    assert_eq!(
        outcome.not_met(),
        [
            "ConditionPathExists=|!/a",
            "ConditionPathExists=|/gone",
            "ConditionPathExists=/missing"
        ]
    );
    assert!(!outcome.condition_result());
}

#[test]
fn asserts_fail_the_job_and_run_only_after_conditions() {
    let f = Fixture::new();
    f.file("/a", "x");
    let outcome = f.eval("AssertPathExists=/missing\nConditionPathExists=/a");
    assert_eq!(outcome.verdict, Verdict::AssertFailed);
    assert!(outcome.condition_result());
    assert!(!outcome.assert_result());
    assert_eq!(outcome.not_met(), ["AssertPathExists=/missing"]);

    let outcome = f.eval("AssertPathExists=/missing\nConditionPathExists=/gone");
    assert_eq!(outcome.verdict, Verdict::ConditionFailed);
    assert_eq!(outcome.asserts[0].result, ConditionResult::Untested);
    assert_eq!(outcome.not_met(), ["ConditionPathExists=/gone"]);

    let outcome = f.eval("AssertPathExists=/a\nAssertPathIsDirectory=|/\n");
    assert_eq!(outcome.verdict, Verdict::Met);
    assert!(outcome.not_met().is_empty());
    assert!(outcome.assert_result());
}

#[test]
fn empty_assignment_resets_every_condition_of_its_kind() {
    let f = Fixture::new();
    // Any empty Condition…= clears all conditions before it, of every type.
    let outcome = f.eval("ConditionPathExists=/missing\nConditionHost=nomatch\nConditionUser=\n");
    assert!(outcome.is_met());
    assert!(outcome.conditions.is_empty());
    // Later ones still count.
    assert!(!f.holds("ConditionPathExists=/missing\nConditionUser=\nConditionHost=nomatch"));
    // Conditions and asserts are separate lists.
    let outcome = f.eval("AssertPathExists=/missing\nConditionPathExists=\n");
    assert_eq!(outcome.verdict, Verdict::AssertFailed);
    let outcome = f.eval("ConditionPathExists=/missing\nAssertPathExists=\n");
    assert_eq!(outcome.verdict, Verdict::ConditionFailed);
    // A drop-in can reset what the fragment set.
    let u = unit(
        "[Unit]\nConditionPathExists=/missing\n",
        &["[Unit]\nConditionPathExists=\nConditionPathExists=/\n"],
    );
    let outcome = evaluate(&u, &f.ctx());
    assert!(outcome.is_met());
    assert_eq!(outcome.conditions.len(), 1);
}

#[test]
fn bad_values_are_ignored_at_load_with_a_warning() {
    let f = Fixture::new();
    let outcome = f.eval(
        "ConditionPathExists=relative\nConditionPathExists=/a/../b\nConditionFooBar=1\nConditionNull=true\nAssertPathExists=| ! /x\n",
    );
    assert!(outcome.is_met());
    assert!(outcome.conditions.is_empty() && outcome.asserts.is_empty());
    let messages: Vec<String> = outcome.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        messages,
        [
            "/etc/systemd/system/t.service:2: ConditionPathExists= path is not absolute, ignoring: relative",
            "/etc/systemd/system/t.service:3: ConditionPathExists= path is not normalized, ignoring: /a/../b",
            "/etc/systemd/system/t.service:4: Unknown key name 'ConditionFooBar' in section 'Unit', ignoring.",
            "/etc/systemd/system/t.service:5: Unknown key name 'ConditionNull' in section 'Unit', ignoring.",
            "/etc/systemd/system/t.service:6: AssertPathExists= path is not absolute, ignoring:  ! /x",
        ]
    );
    // Paths are simplified; non-path values skip blanks after `|` and `!`.
    let outcome = f.eval("ConditionPathExists=//etc/./\nConditionCPUs=| ! >100\n");
    let shown: Vec<String> = outcome
        .conditions
        .iter()
        .map(|t| t.condition.to_string())
        .collect();
    assert_eq!(shown, ["ConditionCPUs=|!>100", "ConditionPathExists=/etc"]);
    // The [Service] section has no conditions.
    assert!(f.eval("[Service]\nConditionPathExists=/missing").is_met());
}

#[test]
fn values_unusable_at_run_time_fail_whatever_the_negation() {
    let f = Fixture::new();
    for setting in [
        "ConditionMemory=garbage",
        "ConditionMemory=!garbage",
        "ConditionCPUs=>=abc",
        "ConditionCPUs=-1",
        "ConditionCapability=CAP_FOO",
        "ConditionCapability=!CAP_FOO",
        "ConditionACPower=maybe",
        "ConditionFirstBoot=maybe",
        "ConditionOSRelease=garbage",
        "ConditionKernelVersion=>",
        "ConditionKernelVersion=> 4 <",
    ] {
        let outcome = f.eval(setting);
        assert_eq!(outcome.verdict, Verdict::ConditionFailed, "{setting}");
        assert_eq!(outcome.warnings.len(), 1, "{setting}");
    }
    let outcome = f.eval("ConditionMemory=garbage");
    assert_eq!(
        outcome.warnings,
        ["Couldn't determine result for ConditionMemory=garbage, assuming failed: Invalid argument"]
    );
    assert_eq!(outcome.not_met(), ["ConditionMemory=garbage"]);
    // An error in a triggering condition is just a failed trigger.
    assert!(f.holds("ConditionMemory=|garbage\nConditionPathExists=|/"));
}

#[test]
fn user_and_group_match_the_manager() {
    let f = Fixture::new();
    f.file(
        "/etc/passwd",
        "root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n",
    )
    .file("/etc/group", "root:x:0:\nweb:x:33:\napp:x:1000:\nadm:x:4:app\n");
    let u = |s: &str| unit(&format!("[Unit]\n{s}\n"), &[]);
    let mut ctx = f.ctx();
    for (setting, holds) in [
        ("ConditionUser=root", true),
        ("ConditionUser=0", true),
        ("ConditionUser=@system", true),
        ("ConditionUser=web", false),
        ("ConditionUser=nobody", false),
        ("ConditionUser=nosuch", false),
        ("ConditionGroup=root", true),
        ("ConditionGroup=0", true),
        ("ConditionGroup=adm", false),
    ] {
        assert_eq!(
            evaluate(&u(setting), &ctx).is_met(),
            holds,
            "root: {setting}"
        );
    }
    ctx.manager = ManagerIdentity::of_scope(
        &Scope::new(
            ScopeKind::User,
            f.scope.root.clone(),
            Identity::for_uid(&ctx.users, 1000, 1000, &|_| None),
            &|_| None,
        ),
        &ctx.users,
    );
    for (setting, holds) in [
        ("ConditionUser=app", true),
        ("ConditionUser=1000", true),
        ("ConditionUser=root", false),
        ("ConditionUser=@system", false),
        ("ConditionUser=!@system", true),
        ("ConditionGroup=app", true),
        ("ConditionGroup=adm", true),
        ("ConditionGroup=4", true),
        ("ConditionGroup=web", false),
        ("ConditionGroup=nosuch", false),
    ] {
        assert_eq!(
            evaluate(&u(setting), &ctx).is_met(),
            holds,
            "app: {setting}"
        );
    }
}

#[test]
fn host_matches_hostname_globs_or_the_machine_id() {
    let f = Fixture::new();
    assert!(f.holds("ConditionHost=web1.example.com"));
    assert!(f.holds("ConditionHost=WEB?.*"));
    assert!(!f.holds("ConditionHost=db*"));
    assert!(f.holds("ConditionHost=!db*"));
    // Without /etc/machine-id a machine id cannot match (the check errs).
    assert!(!f.holds("ConditionHost=0123456789abcdef0123456789abcdef"));
    f.file("/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    assert!(f.holds("ConditionHost=0123456789ABCDEF0123456789ABCDEF"));
    assert!(f.holds("ConditionHost=01234567-89ab-cdef-0123-456789abcdef"));
    assert!(!f.holds("ConditionHost=ffffffffffffffffffffffffffffffff"));
}

#[test]
fn kernel_version_and_command_line() {
    let f = Fixture::new();
    for (setting, holds) in [
        ("ConditionKernelVersion=6.1.0-18-amd64", true),
        ("ConditionKernelVersion=6.*", true),
        ("ConditionKernelVersion=5.*", false),
        ("ConditionKernelVersion=>=5.10", true),
        ("ConditionKernelVersion=>= 5.10", true),
        ("ConditionKernelVersion=>=5.10 <6.2", true),
        ("ConditionKernelVersion=>=5.10 <6.1", false),
        ("ConditionKernelVersion=<>6.1.0-18-amd64", false),
        ("ConditionKernelVersion==6.1.0-18-amd64", true),
        ("ConditionKernelVersion=$=6.1*", true),
        ("ConditionKernelVersion=!$=6.1*", false),
        ("ConditionKernelVersion=!=6.1", true),
        ("ConditionKernelVersion=lt 9", false),
        ("ConditionKernelCommandLine=quiet", true),
        ("ConditionKernelCommandLine=console", true),
        ("ConditionKernelCommandLine=console=ttyS0", true),
        ("ConditionKernelCommandLine=console=tty1", false),
        ("ConditionKernelCommandLine=cons", false),
        ("ConditionKernelCommandLine=with space=x y", true),
        ("ConditionKernelCommandLine=!splash", true),
    ] {
        assert_eq!(f.holds(setting), holds, "{setting}");
    }
}

#[test]
fn os_release_comparisons() {
    let f = Fixture::new();
    // Without an os-release file the condition cannot be decided.
    assert!(!f.holds("ConditionOSRelease=ID=debian"));
    f.file(
        "/usr/lib/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n",
    );
    for (setting, holds) in [
        ("ConditionOSRelease=ID=debian", true),
        ("ConditionOSRelease=ID=deb*", false),
        ("ConditionOSRelease=ID$=deb*", true),
        ("ConditionOSRelease=ID!$=deb*", false),
        ("ConditionOSRelease=ID!=debian", false),
        ("ConditionOSRelease=VERSION_ID>11", true),
        ("ConditionOSRelease=VERSION_ID==12", true),
        ("ConditionOSRelease=VERSION_ID=12.0", false),
        ("ConditionOSRelease=ID=debian VERSION_ID<12", false),
        (
            "ConditionOSRelease=\"PRETTY_NAME=Debian GNU/Linux 12\"",
            true,
        ),
        ("ConditionOSRelease=NOPE=x", false),
        ("ConditionOSRelease=NOPE!=x", true),
        ("ConditionOSRelease=ID=", false),
        ("ConditionOSRelease=1D=x", false),
        ("ConditionOSRelease=ID= debian", false),
    ] {
        assert_eq!(f.holds(setting), holds, "{setting}");
    }
    // /etc/os-release wins.
    f.file("/etc/os-release", "ID=alpine\n");
    assert!(f.holds("ConditionOSRelease=ID=alpine"));
}

#[test]
fn environment_of_the_manager() {
    let f = Fixture::new();
    assert!(f.holds("ConditionEnvironment=LANG"));
    assert!(f.holds("ConditionEnvironment=LANG=C"));
    assert!(!f.holds("ConditionEnvironment=LANG=en"));
    assert!(!f.holds("ConditionEnvironment=LAN"));
    assert!(f.holds("ConditionEnvironment=EMPTY="));
    assert!(f.holds("ConditionEnvironment=!HOME"));
}

#[test]
fn architecture_and_virtualization() {
    let f = Fixture::new();
    assert!(f.holds("ConditionArchitecture=x86-64"));
    assert!(!f.holds("ConditionArchitecture=arm64"));
    assert!(!f.holds("ConditionArchitecture=bogus"));
    assert!(f.holds("ConditionArchitecture=!bogus"));
    for (setting, holds) in [
        ("ConditionVirtualization=yes", true),
        ("ConditionVirtualization=no", false),
        ("ConditionVirtualization=container", true),
        ("ConditionVirtualization=docker", true),
        ("ConditionVirtualization=podman", false),
        ("ConditionVirtualization=vm", false),
        ("ConditionVirtualization=garbage", false),
        ("ConditionVirtualization=private-users", false),
    ] {
        assert_eq!(f.holds(setting), holds, "{setting}");
    }
    let mut ctx = f.ctx();
    ctx.host = HostFacts::default().with_virtualization(Virtualization::vm("kvm"));
    let u = |s: &str| unit(&format!("[Unit]\n{s}\n"), &[]);
    assert!(evaluate(&u("ConditionVirtualization=vm"), &ctx).is_met());
    assert!(evaluate(&u("ConditionVirtualization=kvm"), &ctx).is_met());
    assert!(!evaluate(&u("ConditionVirtualization=container"), &ctx).is_met());
    ctx.host = HostFacts::default().with_virtualization(Virtualization::none());
    assert!(evaluate(&u("ConditionVirtualization=no"), &ctx).is_met());
    assert!(!evaluate(&u("ConditionVirtualization=none"), &ctx).is_met());
}

#[test]
fn resources_compare_with_operators() {
    let f = Fixture::new();
    for (setting, holds) in [
        ("ConditionMemory=1G", true),
        ("ConditionMemory=>=4G", true),
        ("ConditionMemory=>4G", false),
        ("ConditionMemory=<1.5T", true),
        ("ConditionMemory==4G", true),
        ("ConditionMemory=<>4G", false),
        ("ConditionMemory=8G", false),
        ("ConditionCPUs=2", true),
        ("ConditionCPUs=3", false),
        ("ConditionCPUs=<3", true),
        ("ConditionCPUs=>=0x2", true),
        ("ConditionCPUs=!>100", true),
        ("ConditionCapability=CAP_NET_ADMIN", true),
        ("ConditionCapability=cap_sys_admin", false),
        ("ConditionCapability=12", true),
        ("ConditionACPower=true", true),
        ("ConditionACPower=false", false),
    ] {
        assert_eq!(f.holds(setting), holds, "{setting}");
    }
}

#[test]
fn first_boot_and_needs_update_read_the_root() {
    let f = Fixture::new();
    assert!(f.holds("ConditionFirstBoot=yes"));
    f.file("/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    assert!(f.holds("ConditionFirstBoot=no"));
    assert!(!f.holds("ConditionFirstBoot=yes"));

    f.mkdir("/usr").mkdir("/etc");
    // No stamp: an update is needed.
    assert!(f.holds("ConditionNeedsUpdate=/etc"));
    let set_mtime = |logical: &str, secs: i64| {
        let t = nix::sys::time::TimeSpec::new(secs, 0);
        nix::sys::stat::utimensat(
            None,
            &f.host(logical),
            &t,
            &t,
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .unwrap();
    };
    f.file("/etc/.updated", "");
    set_mtime("/usr", 2000);
    set_mtime("/etc/.updated", 1000);
    assert!(f.holds("ConditionNeedsUpdate=/etc"));
    set_mtime("/etc/.updated", 3000);
    assert!(!f.holds("ConditionNeedsUpdate=/etc"));
    assert!(f.holds("ConditionNeedsUpdate=!/etc"));
    // The kernel command line overrides.
    let mut ctx = f.ctx();
    ctx.host = HostFacts::default().with_kernel_cmdline("systemd.condition-needs-update=1");
    let u = unit("[Unit]\nConditionNeedsUpdate=/etc\n", &[]);
    assert!(evaluate(&u, &ctx).is_met());
    // In an initrd nothing is updated.
    f.file("/etc/initrd-release", "");
    assert!(!f.holds("ConditionNeedsUpdate=/etc"));
}

#[test]
fn credentials_come_from_the_manager_credentials_directory() {
    let f = Fixture::new();
    f.file("/run/credentials/t/token", "secret");
    let mut ctx = f.ctx();
    let u = |s: &str| unit(&format!("[Unit]\n{s}\n"), &[]);
    assert!(!evaluate(&u("ConditionCredential=token"), &ctx).is_met());
    ctx.environment
        .push("CREDENTIALS_DIRECTORY=/run/credentials/t".into());
    assert!(evaluate(&u("ConditionCredential=token"), &ctx).is_met());
    assert!(!evaluate(&u("ConditionCredential=other"), &ctx).is_met());
    assert!(!evaluate(&u("ConditionCredential=../t/token"), &ctx).is_met());
}

#[test]
fn undetectable_facts_answer_like_systemd_on_such_a_system() {
    let f = Fixture::new();
    assert!(!f.holds("ConditionSecurity=bogus"));
    assert!(!f.holds("ConditionSecurity=uefi-secureboot"));
    assert!(!f.holds("ConditionFirmware=bogus"));
    assert!(!f.holds("ConditionFirmware=device-tree-compatible(x"));
    assert!(f.holds("ConditionControlGroupController=bogus"));
    assert!(!f.holds("ConditionCPUFeature=no-such-flag"));
}

#[test]
fn specifiers_are_expanded_and_bad_ones_ignored() {
    let f = Fixture::new();
    f.file("/run/t", "x");
    let expand = |u: &Unit, s: &str| -> Result<String, String> {
        if s.contains("%Z") {
            return Err("Invalid slot".into());
        }
        Ok(s.replace("%t", "/run").replace("%N", u.id.stem()))
    };
    let mut ctx = f.ctx();
    ctx.specifiers = Some(&expand);
    let u = unit(
        "[Unit]\nConditionPathExists=%t/%N\nConditionPathExists=/%Z\nConditionHost=%Z\n",
        &[],
    );
    let outcome = evaluate(&u, &ctx);
    assert!(outcome.is_met());
    assert_eq!(outcome.conditions.len(), 1);
    assert_eq!(outcome.conditions[0].condition.parameter, "/run/t");
    let messages: Vec<&str> = outcome
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "Failed to resolve unit specifiers in /%Z, ignoring: Invalid slot",
            "Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot",
        ]
    );
}

#[test]
fn built_in_specifiers_apply_by_default() {
    let f = Fixture::new();
    f.file("/run/t.flag", "x");
    let outcome = f.eval("ConditionPathExists=%t/%N.flag\nConditionHost=%Z");
    assert!(outcome.is_met());
    assert_eq!(outcome.conditions[0].condition.parameter, "/run/t.flag");
    assert_eq!(
        outcome.diagnostics[0].message,
        "Failed to resolve unit specifiers in '%Z', ignoring: Invalid slot"
    );
}

#[test]
fn a_unit_without_conditions_is_met() {
    let f = Fixture::new();
    let outcome = f.eval("Description=x");
    assert!(outcome.is_met() && outcome.condition_result() && outcome.assert_result());
    assert!(outcome.not_met().is_empty());
}

#[test]
fn every_type_name_round_trips() {
    for (t, name) in ConditionType::ALL {
        assert_eq!(ConditionType::from_name(name), Some(t));
        assert_eq!(t.name(), name);
    }
    assert_eq!(ConditionType::from_name("Null"), None);
}

#[test]
fn garbage_never_panics() {
    let f = Fixture::new();
    let garbage = [
        "",
        "|",
        "!",
        "|!",
        "!|",
        "| !",
        "=",
        "==",
        "!=$",
        "$=",
        "<>",
        ">=",
        "~",
        "-",
        "^",
        ".",
        "[",
        "[!",
        "[]",
        "\\",
        "{",
        "{,}",
        "}{",
        "*",
        "**/*",
        "/",
        "//",
        "/\\",
        "/[",
        "/{a,{b,}",
        "0x",
        "0b",
        "0o",
        "-0x1",
        "+",
        "1.",
        ".5G",
        "1e9",
        "99999999999999999999",
        "é",
        "µs",
        "日本",
        "a\u{0}b",
        "\"",
        "'",
        "\"unterminated",
        "KEY=\"v",
        "x=y=z",
        "%",
        "%%",
        "%Z",
        "smbios-field(",
        "smbios-field(x=)",
        "device-tree-compatible()",
        "1%/10sec",
        "a:b/c",
        "ID=é",
        "é=1",
        "ID$=[",
        "/proc/self/../x",
        "/\u{7f}",
        "v1 v2",
        "cpu memory bogus",
    ];
    for (_, name) in ConditionType::ALL {
        for value in garbage {
            for prefix in ["Condition", "Assert"] {
                let outcome = f.eval(&format!("{prefix}{name}={value}"));
                // The outcome is consistent whatever was read.
                assert_eq!(outcome.is_met(), outcome.not_met().is_empty());
            }
        }
    }
}
