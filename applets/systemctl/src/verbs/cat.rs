//! `cat` and `daemon-reload`. (stub: filled in by the unit-loading work item)

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};

pub fn cat(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure("cat: not implemented yet"))
}

pub fn daemon_reload(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure("daemon-reload: not implemented yet"))
}
