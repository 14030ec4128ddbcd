// The `edgemq` command line: a config file, --help, --version, and nothing else. Settings live
// in the config file and EDGEMQ_* variables, not in flags, so anything else on the command line
// is a mistake (a typo, a flag from another broker) and stops start-up instead of being ignored.

export type CliCommand =
  | { readonly kind: 'run'; readonly configFile?: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

/** Parses the arguments after `node main.js`. The first problem wins; else --help, then --version. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let configFile: string | undefined;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--version') version = true;
    else if (arg === '--config' || arg.startsWith('--config=')) {
      const value = arg === '--config' ? argv[++i] : arg.slice('--config='.length);
      if (value === undefined || value === '' || value.startsWith('-')) {
        return { kind: 'error', message: '--config needs a file path (--config FILE)' };
      }
      configFile = value; // the last one wins, as with most commands
    } else if (arg.startsWith('-')) {
      return { kind: 'error', message: `unknown option ${arg}` };
    } else {
      return { kind: 'error', message: `unexpected argument ${JSON.stringify(arg)}` };
    }
  }
  if (help) return { kind: 'help' };
  if (version) return { kind: 'version' };
  return configFile === undefined ? { kind: 'run' } : { kind: 'run', configFile };
}

/** `edgemq --help`; `root` is the directory holding README.md and edgemq.example.yaml. */
export function helpText(root: string): string {
  return `Usage: edgemq [--config FILE]

Starts one EdgeMQ node: MQTT 3.1, 3.1.1 and 5.0 over WebSocket and TCP (and over TLS when a
certificate is configured). SIGINT or SIGTERM stops it gracefully.

Options:
  --config FILE   read settings from FILE (.yaml, .yml or .json); also --config=FILE.
                  Without it, EDGEMQ_CONFIG=FILE names the file; with neither, defaults apply.
  --help, -h      print this help and exit
  --version       print the version and exit

Configuration: schema defaults < config file < environment. Every key has an environment
variable: EDGEMQ_ + the key path in SCREAMING_SNAKE_CASE, e.g. http.port is EDGEMQ_HTTP_PORT
and redis.url is EDGEMQ_REDIS_URL (set it to run clustered). An unknown key, variable or
option stops start-up with exit code 2.
Every key with its variable, type and default: the configuration table in
  ${root}README.md
and, commented, in
  ${root}edgemq.example.yaml
`;
}
