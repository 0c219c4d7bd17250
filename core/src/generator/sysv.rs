//! The built-in `systemd-sysv-generator`: `/etc/init.d` scripts without a unit file become
//! units in the late generator directory.

use crate::scope::Scope;
use std::path::Path;

/// The generator's file name; a file of this name in a generator directory is replaced by
/// us (a symlink to `/dev/null` masks it).
pub const BUILTIN_NAME: &str = "systemd-sysv-generator";
pub const INIT_D: &str = "/etc/init.d";
pub const RC_DIRS: &[&str] = &[
    "/etc/rc0.d",
    "/etc/rc1.d",
    "/etc/rc2.d",
    "/etc/rc3.d",
    "/etc/rc4.d",
    "/etc/rc5.d",
    "/etc/rc6.d",
    "/etc/rcS.d",
];

/// Writes the units of the scope's init scripts into `late` (logical).
pub fn generate(_scope: &Scope, _late: &Path) -> std::io::Result<()> {
    Ok(())
}
