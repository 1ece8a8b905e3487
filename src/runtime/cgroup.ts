// cgroup_path(id): the id (cgroup v2 id = kernfs inode number, what
// bpf_get_current_cgroup_id returns) resolved, when printed, to a path in
// every mounted cgroup hierarchy whose tree holds a directory with that id:
// `unified:/a/b,cpu:/a/b,…` — cgroup2 first, then v1 hierarchies by name, as
// bpftrace 0.17 prints it.
import * as fs from 'fs';
import * as path from 'path';

interface Hierarchy {
  name: string;
  mount: string;
}

function hierarchies(): Hierarchy[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const v2: Hierarchy[] = [];
  const v1: Hierarchy[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const fstype = right.split(' ')[0];
    const mount = left.split(' ')[4];
    if (fstype === 'cgroup2') v2.push({ name: 'unified', mount });
    else if (fstype === 'cgroup') v1.push({ name: path.basename(mount), mount });
  }
  v1.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...v2, ...v1];
}

/** Breadth-first search of the hierarchy for the directory whose inode is `id`. */
function findById(mount: string, id: bigint): string | undefined {
  const queue = [''];
  while (queue.length > 0) {
    const rel = queue.shift()!;
    const dir = path.join(mount, rel);
    try {
      if (fs.statSync(dir, { bigint: true }).ino === id) return '/' + rel;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) queue.push(rel ? `${rel}/${e.name}` : e.name);
    } catch {
      // A cgroup removed while we walk: skip it.
    }
  }
  return undefined;
}

const cache = new Map<string, string>();

/** `filter` (cgroup_path's second argument) keeps only the hierarchy of that name. */
export function cgroupPathText(id: bigint, filter?: string): string {
  const cacheKey = `${id}:${filter ?? ''}`;
  let text = cache.get(cacheKey);
  if (text === undefined) {
    const parts: string[] = [];
    for (const h of hierarchies()) {
      if (filter !== undefined && h.name !== filter) continue;
      const p = findById(h.mount, id);
      if (p !== undefined) parts.push(`${h.name}:${p}`);
    }
    text = parts.join(',');
    cache.set(cacheKey, text);
  }
  return text;
}
