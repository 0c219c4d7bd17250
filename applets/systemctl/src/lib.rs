//! The `systemctl` applet: systemd's command-line interface over unit files found on disk,
//! with no daemon behind it.
//!
//! `cli` turns arguments into [`Options`]; `context` builds the scope and the unit store the
//! verbs work on; `verbs/` holds one module per family of verbs; `exit` is the one place
//! where errors become messages and exit codes.

mod cli;
mod context;
mod exit;
mod output;
mod units;
mod verbs;

pub use cli::Options;
pub use exit::ExitStatus;
/// What systemctl prints when a job fails; `systemd-run` prints the same.
use std::ffi::OsString;

/// Runs `systemctl` with full argv (argv[0] included) and returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let opts = match cli::parse(args) {
        Ok(cli::Parsed::Run(opts)) => verbs::init::select_init_verb(*opts),
        Ok(cli::Parsed::Exit(code)) => return code,
        Err(message) => {
            eprintln!("{message}");
            return ExitStatus::FAILURE.code();
        }
    };
    let ctx = match context::Ctx::new(opts) {
        Ok(ctx) => ctx,
        Err(err) => return err.report(),
    };
    match verbs::dispatch(&ctx) {
        Ok(status) => status.code(),
        Err(err) => err.report(),
    }
}
