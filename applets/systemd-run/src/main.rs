fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The supervisor re-executes /proc/self/exe: this binary, when used standalone.
    if args
        .get(1)
        .is_some_and(|a| a == unitbox_core::supervisor::protocol::SUPERVISE_APPLET)
    {
        std::process::exit(unitbox_core::supervisor::main(
            args.into_iter().skip(1).collect(),
        ));
    }
    std::process::exit(unitbox_systemd_run::main(args));
}
