//! The `lazydag` binary: `lazydag graph dump|report|run FILE` for graphs of its own demo
//! functions, and `lazydag graph demo` to write one. A program with its own functions calls
//! `lazydag_cli::main_hook()` instead (see `docs/cli.md`).

mod demo;

fn main() {
    let args: Vec<String> =
        std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let result = match args.get(1).map(String::as_str) {
        Some("demo") if args[0] == "graph" => demo::write(&args[2..], &mut std::io::stdout()),
        _ => lazydag_cli::run(&args, &mut std::io::stdout().lock()),
    };
    if let Err(e) = result {
        eprintln!("lazydag: {e}");
        std::process::exit(e.exit_code());
    }
}
