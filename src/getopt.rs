//! A small GNU-style `getopt_long`: short options (clustered, with attached
//! or separate arguments), long options, `--`, and permutation (options may
//! follow operands), as ninja's command line and its tools accept them.

/// One parsed option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opt {
    /// A short option (or a long one mapped to a short letter) and its argument.
    Flag(char, Option<String>),
    /// A long option with no short equivalent.
    Long(&'static str, Option<String>),
    /// An unknown option or a missing argument: GNU getopt's `?`, with the
    /// message it prints to stderr.
    Invalid(String),
}

/// A long option: name, takes an argument, short letter it maps to (if any).
pub type LongOpt = (&'static str, bool, Option<char>);

/// Parses `args`. `shorts` is a getopt string (`"d:f:j:nt:"`). Parsing
/// stops after an option for which `stop` returns true (ninja stops at `-t`);
/// then only the arguments after it are returned as operands: GNU getopt
/// has not yet moved the operands it skipped, so they are lost, as in
/// `ninja a.o -t commands` (`[tools.invoke.name]`).
pub fn getopt(
    program: &str,
    args: &[String],
    shorts: &str,
    longs: &[LongOpt],
    stop: impl Fn(&Opt) -> bool,
) -> (Vec<Opt>, Vec<String>) {
    let mut opts = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let matches: Vec<&LongOpt> = longs
                .iter()
                .filter(|(n, _, _)| n.starts_with(name))
                .collect();
            let exact = longs.iter().find(|(n, _, _)| *n == name);
            let unique_prefix = if matches.len() == 1 {
                Some(matches[0])
            } else {
                None
            };
            let Some(&(full, takes_arg, short)) = exact.or(unique_prefix) else {
                opts.push(Opt::Invalid(format!(
                    "{program}: unrecognized option '--{name}'"
                )));
                continue;
            };
            let value = if takes_arg {
                match inline.or_else(|| {
                    let v = args.get(i).cloned();
                    i += 1;
                    v
                }) {
                    Some(v) => Some(v),
                    None => {
                        opts.push(Opt::Invalid(format!(
                            "{program}: option '--{full}' requires an argument"
                        )));
                        continue;
                    }
                }
            } else {
                if inline.is_some() {
                    opts.push(Opt::Invalid(format!(
                        "{program}: option '--{full}' doesn't allow an argument"
                    )));
                    continue;
                }
                None
            };
            let opt = match short {
                Some(c) => Opt::Flag(c, value),
                None => Opt::Long(full, value),
            };
            let done = stop(&opt);
            opts.push(opt);
            if done {
                operands = args[i..].to_vec();
                break;
            }
            continue;
        }
        if arg.len() < 2 || !arg.starts_with('-') {
            operands.push(arg.clone());
            continue;
        }
        let chars: Vec<char> = arg[1..].chars().collect();
        let mut j = 0;
        let mut stopped = false;
        while j < chars.len() {
            let c = chars[j];
            j += 1;
            let spec = shorts.find(c).filter(|_| c != ':');
            let Some(pos) = spec else {
                opts.push(Opt::Invalid(format!("{program}: invalid option -- '{c}'")));
                continue;
            };
            let takes_arg = shorts[pos + c.len_utf8()..].starts_with(':');
            let opt = if takes_arg {
                let rest: String = chars[j..].iter().collect();
                j = chars.len();
                if !rest.is_empty() {
                    Opt::Flag(c, Some(rest))
                } else if let Some(v) = args.get(i) {
                    i += 1;
                    Opt::Flag(c, Some(v.clone()))
                } else {
                    opts.push(Opt::Invalid(format!(
                        "{program}: option requires an argument -- '{c}'"
                    )));
                    continue;
                }
            } else {
                Opt::Flag(c, None)
            };
            stopped = stop(&opt);
            opts.push(opt);
            if stopped {
                break;
            }
        }
        if stopped {
            operands = args[i..].to_vec();
            break;
        }
    }
    (opts, operands)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn clusters_and_arguments() {
        let (opts, rest) = getopt(
            "ninja",
            &s(&["-nv", "-C", "dir", "-j4", "all"]),
            "C:j:nv",
            &[],
            |_| false,
        );
        assert_eq!(
            opts,
            vec![
                Opt::Flag('n', None),
                Opt::Flag('v', None),
                Opt::Flag('C', Some("dir".into())),
                Opt::Flag('j', Some("4".into())),
            ]
        );
        assert_eq!(rest, s(&["all"]));
    }

    #[test]
    fn stops_at_tool() {
        let (opts, rest) = getopt(
            "ninja",
            &s(&["-t", "commands", "-s", "x"]),
            "t:",
            &[],
            |o| matches!(o, Opt::Flag('t', _)),
        );
        assert_eq!(opts, vec![Opt::Flag('t', Some("commands".into()))]);
        assert_eq!(rest, s(&["-s", "x"]));
    }

    #[test]
    fn long_options_and_permutation() {
        let longs: &[LongOpt] = &[
            ("print0", false, Some('0')),
            ("dependency-order", false, Some('d')),
        ];
        let (opts, rest) = getopt(
            "ninja",
            &s(&["a", "--print0", "--dep", "b"]),
            "0d",
            longs,
            |_| false,
        );
        assert_eq!(opts, vec![Opt::Flag('0', None), Opt::Flag('d', None)]);
        assert_eq!(rest, s(&["a", "b"]));
    }
}
