// The standard `process_*` families every Prometheus client library exports (same names and
// units), read at scrape time: CPU from the runtime, memory and descriptors from /proc where
// the system has it (Linux); a family the system cannot tell is left out rather than faked.
import { readdirSync, readFileSync } from "node:fs";
import { family, sample } from "./exposition";

const START_TIME_SECONDS = (Date.now() - process.uptime() * 1000) / 1000;

function openFds(): number | undefined {
  try {
    // The listing itself holds one descriptor open while it reads the directory.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

function virtualMemoryBytes(): number | undefined {
  try {
    const kib = /^VmSize:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return kib ? Number(kib[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function processMetrics(): string {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const user = cpu.user / 1e6;
  const system = cpu.system / 1e6;
  const out = [
    family("process_cpu_user_seconds_total", "counter", "User CPU time spent in seconds.", [sample("process_cpu_user_seconds_total", {}, user)]),
    family("process_cpu_system_seconds_total", "counter", "System CPU time spent in seconds.", [sample("process_cpu_system_seconds_total", {}, system)]),
    family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [sample("process_cpu_seconds_total", {}, user + system)]),
    family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", [sample("process_start_time_seconds", {}, START_TIME_SECONDS)]),
    family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [sample("process_resident_memory_bytes", {}, memory.rss)]),
    family("process_heap_bytes", "gauge", "JavaScript heap size in bytes (allocated by the runtime for objects, in use or free).", [sample("process_heap_bytes", {}, memory.heapTotal)]),
  ];
  const virtual = virtualMemoryBytes();
  if (virtual !== undefined) out.push(family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", [sample("process_virtual_memory_bytes", {}, virtual)]));
  const open = openFds();
  if (open !== undefined) out.push(family("process_open_fds", "gauge", "Number of open file descriptors.", [sample("process_open_fds", {}, open)]));
  const max = maxFds();
  if (max !== undefined) out.push(family("process_max_fds", "gauge", "Maximum number of open file descriptors.", [sample("process_max_fds", {}, max)]));
  return out.join("");
}
