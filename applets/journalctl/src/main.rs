fn main() {
    std::process::exit(unitbox_journalctl::main(std::env::args_os().collect()));
}
