// Type check of the `offerfit/web` entry: `init` must be awaited before use.
import init, { place, call } from 'offerfit/web';

export async function main(): Promise<void> {
  await init();
  const out = place({ offers: [], tasks: [] });
  console.log(out.ok ? out.stats.offers : out.errors[0].message, call('{"op":"version"}'));
}
