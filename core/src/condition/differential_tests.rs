//! The same settings evaluated by unitbox and by systemd 252 on this machine.

use super::tests::unit;
use super::*;
use crate::root::Root;
use crate::users::Identity;
use std::path::Path;

/// Compares with systemd 252's own evaluation (`systemd-analyze condition`), which looks at
/// this machine: the root is the host and nothing is pinned.
#[test]
fn same_answers_as_systemd_analyze_on_this_machine() {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !analyze.exists() {
        return;
    }
    let release = HostFacts::default()
        .kernel_release()
        .unwrap_or("0")
        .to_string();
    let settings = [
        "ConditionPathExists=/etc".to_string(),
        "ConditionPathExists=!/nonexistent".into(),
        "ConditionPathIsDirectory=/etc/passwd".into(),
        "ConditionPathIsSymbolicLink=/bin".into(),
        "ConditionPathIsMountPoint=/proc".into(),
        "ConditionPathIsMountPoint=/".into(),
        "ConditionPathIsMountPoint=/etc".into(),
        "ConditionPathIsReadWrite=/".into(),
        "ConditionPathIsReadWrite=/proc/sys".into(),
        "ConditionPathExistsGlob=/etc/*.conf".into(),
        "ConditionPathExistsGlob=/etc/*.nope".into(),
        "ConditionDirectoryNotEmpty=/etc".into(),
        "ConditionFileIsExecutable=/bin/sh".into(),
        "ConditionFileNotEmpty=/etc/passwd".into(),
        format!("ConditionKernelVersion={release}"),
        format!("ConditionKernelVersion=>={release}"),
        format!("ConditionKernelVersion=<{release}"),
        "ConditionKernelVersion=>=4 <1000".into(),
        "ConditionKernelCommandLine=console".into(),
        "ConditionKernelCommandLine=quiet".into(),
        "ConditionArchitecture=native".into(),
        "ConditionArchitecture=x86-64".into(),
        "ConditionArchitecture=arm64".into(),
        "ConditionVirtualization=yes".into(),
        "ConditionVirtualization=container".into(),
        "ConditionVirtualization=docker".into(),
        "ConditionVirtualization=podman".into(),
        "ConditionVirtualization=vm".into(),
        "ConditionVirtualization=private-users".into(),
        "ConditionHost=*".into(),
        "ConditionHost=no-such-host".into(),
        "ConditionCPUs=1".into(),
        "ConditionCPUs=>=1000".into(),
        "ConditionMemory=64M".into(),
        "ConditionMemory=>=1P".into(),
        "ConditionCapability=CAP_CHOWN".into(),
        "ConditionCapability=63".into(),
        "ConditionUser=root".into(),
        "ConditionUser=@system".into(),
        "ConditionGroup=root".into(),
        "ConditionEnvironment=PATH".into(),
        "ConditionEnvironment=NO_SUCH_VARIABLE".into(),
        "ConditionOSRelease=ID=debian".into(),
        "ConditionOSRelease=ID$=deb*".into(),
        "ConditionOSRelease=VERSION_ID>=11".into(),
        "ConditionFirstBoot=yes".into(),
        "ConditionACPower=true".into(),
        "ConditionSecurity=selinux".into(),
        "ConditionSecurity=apparmor".into(),
        "ConditionSecurity=audit".into(),
        "ConditionControlGroupController=v2".into(),
        "ConditionControlGroupController=v1".into(),
        "ConditionControlGroupController=memory".into(),
        "ConditionFirmware=uefi".into(),
        "ConditionFirmware=device-tree".into(),
        "ConditionCPUFeature=sse2".into(),
        "ConditionMemoryPressure=90%".into(),
        "ConditionMemory=garbage".into(),
    ];
    let scope = Scope::new(
        ScopeKind::System,
        Root::host(),
        Identity::root_user(),
        &|_| None,
    );
    let ctx = ConditionContext::current(&scope);
    let mut differences = Vec::new();
    for setting in &settings {
        let Ok(out) = std::process::Command::new(analyze)
            .args(["condition", setting])
            .output()
        else {
            return;
        };
        let theirs = out.status.success();
        let ours = evaluate(&unit(&format!("[Unit]\n{setting}\n"), &[]), &ctx).is_met();
        if theirs != ours {
            differences.push(format!("{setting}: systemd {theirs}, unitbox {ours}"));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
}
