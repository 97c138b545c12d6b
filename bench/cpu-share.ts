/**
 * A fixed share of the machine's CPU for one process, as a machine of its own would give
 * it: a Linux control group with a CPU quota (`cpu.max` on cgroup v2, `cpu.cfs_quota_us`
 * on the v1 `cpu` hierarchy), the process moved into it with all its threads. The scaling
 * group gives each Sello process the same share, so that adding a process adds CPU as
 * adding a machine would, on a machine with fewer cores than processes.
 *
 * Needs write access to the cgroup file system (root, or a delegated subtree). Where there
 * is none, `giveCpuShare` says why and the caller runs without shares.
 */
import fs from 'node:fs';
import path from 'node:path';

export type CpuShare = { release(): void } | { unavailable: string };

const periodUs = 100_000;
const prefix = 'sello-bench';

/** Where a new group can be made with a CPU quota, and how its files are named; or why not. */
function cpuHierarchy(): { root: string; version: 1 | 2 } | { unavailable: string } {
  const v2 = '/sys/fs/cgroup';
  try {
    if (fs.readFileSync(path.join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) {
      // The root's children get the cpu controller only when the root's subtree_control names it.
      const subtree = path.join(v2, 'cgroup.subtree_control');
      if (!fs.readFileSync(subtree, 'utf8').split(/\s+/).includes('cpu')) fs.writeFileSync(subtree, '+cpu');
      return { root: v2, version: 2 };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { unavailable: `cgroup v2 at ${v2}: ${(error as Error).message}` };
  }
  const v1 = '/sys/fs/cgroup/cpu';
  if (fs.existsSync(path.join(v1, 'cpu.cfs_quota_us'))) return { root: v1, version: 1 };
  return { unavailable: 'no cgroup file system with a cpu controller (neither /sys/fs/cgroup/cgroup.controllers naming cpu nor /sys/fs/cgroup/cpu)' };
}

/**
 * Moves process `pid` (every thread) into a new group limited to `cores` CPUs on average
 * (0.5: half of one core's time, over any of the cores). `release()` moves it back to the
 * root group, if it still runs, and removes the group.
 */
export function giveCpuShare(pid: number, cores: number): CpuShare {
  const hierarchy = cpuHierarchy();
  if ('unavailable' in hierarchy) return hierarchy;
  removeAbandonedGroups(hierarchy.root);
  const group = path.join(hierarchy.root, `${prefix}-${process.pid}-${pid}`);
  try {
    fs.mkdirSync(group);
    const quotaUs = Math.max(1000, Math.round(cores * periodUs));
    if (hierarchy.version === 2) {
      fs.writeFileSync(path.join(group, 'cpu.max'), `${quotaUs} ${periodUs}`);
    } else {
      fs.writeFileSync(path.join(group, 'cpu.cfs_period_us'), String(periodUs));
      fs.writeFileSync(path.join(group, 'cpu.cfs_quota_us'), String(quotaUs));
    }
    fs.writeFileSync(path.join(group, 'cgroup.procs'), String(pid));
  } catch (error) {
    removeGroup(hierarchy.root, group);
    return { unavailable: `cannot limit a process's CPU in ${hierarchy.root}: ${(error as Error).message}` };
  }
  return { release: () => removeGroup(hierarchy.root, group) };
}

/**
 * Removes the groups of benches that were killed before they could release them (their
 * own process, the first number in the name, is gone); an empty group costs nothing, but
 * they would pile up.
 */
function removeAbandonedGroups(root: string): void {
  for (const name of fs.readdirSync(root)) {
    const owner = new RegExp(`^${prefix}-(\\d+)-\\d+$`).exec(name)?.[1];
    if (owner && !fs.existsSync(`/proc/${owner}`)) removeGroup(root, path.join(root, name));
  }
}

function removeGroup(root: string, group: string): void {
  try {
    // A group with processes in it cannot be removed: any still there go back to the root group.
    for (const pid of fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        fs.writeFileSync(path.join(root, 'cgroup.procs'), pid);
      } catch {
        // It exited meanwhile.
      }
    }
    fs.rmdirSync(group);
  } catch {
    // Never made, or already gone.
  }
}
