#!/usr/bin/env node
// Adds lock entries for optional platform packages the registry here cannot serve.
// Why: this machine's npm registry does not serve rollup's non-Linux builds (404), so
// npm writes a lock without them and `npm ci` then rejects the lock as out of sync.
// Usage after any dependency change: node scripts/fix-lock.js package-lock.json
const fs = require('fs');
const file = process.argv[2];
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [loc, p] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(p.optionalDependencies || {})) {
    const base = loc ? loc + '/node_modules/' : 'node_modules/';
    const key1 = base + name, key2 = 'node_modules/' + name;
    if (pkgs[key1] || pkgs[key2]) continue;
    const m = /-(android|darwin|freebsd|linux|openbsd|sunos|win32|aix|netbsd|openharmony)-(arm64|x64|ia32|arm|riscv64|ppc64|s390x|loong64|mips64el|wasm32)/.exec(name);
    pkgs[key2] = { version, optional: true, ...(m ? { os: [m[1]], cpu: [m[2]] } : {}) };
    added++;
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log('added', added);
