import { readFileSync } from 'node:fs';

/**
 * This process's peak resident memory, in bytes. On Linux it is the VmHWM of /proc/self/status: getrusage's
 * maxRSS keeps the high-water mark of the process before exec, so a child spawned by a parent that once held
 * 1 GB reports 1 GB whatever it used itself. Elsewhere, maxRSS.
 */
export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
