// Command-line flags of the Node benches (bench.mjs, session-wasm.mjs): one parser, in a module
// that runs nothing when imported.

/**
 * Reads `argv` into a copy of `defaults`. `flags` maps a flag taking a value to
 * `[field, convert]`; `switches` maps a flag without a value to the field it sets to `true`.
 * `--help` / `-h` prints `usage` and exits; an unknown flag or a missing value throws.
 */
export function parseFlags(argv, { defaults, flags = {}, switches = {}, usage }) {
  const args = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (Object.hasOwn(flags, a)) {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      const [field, convert] = flags[a];
      args[field] = convert(argv[++i]);
    } else if (Object.hasOwn(switches, a)) {
      args[switches[a]] = true;
    } else if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    } else {
      throw new Error(`unknown argument \`${a}\``);
    }
  }
  if (!args.workloads) throw new Error('--workloads DIR is required (write it with `offerfit bench --write-workloads DIR`)');
  return args;
}

/** An integer flag's value (NaN when it is not one: the caller's range check refuses it). */
export const int = (v) => Number.parseInt(v, 10);
