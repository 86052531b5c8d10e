// Knobs shared by the HTTP benches. Defaults keep the whole `bun run bench` within minutes;
// BENCH_ROUNDS / BENCH_SECONDS raise them for a steadier figure.
export function benchSettings() {
  const int = (name: string, fallback: number) => {
    const v = Number(process.env[name]);
    return Number.isInteger(v) && v > 0 ? v : fallback;
  };
  return {
    rounds: int("BENCH_ROUNDS", 3),
    seconds: int("BENCH_SECONDS", 5),
    connections: int("BENCH_CONNECTIONS", 64),
  };
}
