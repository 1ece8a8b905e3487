// Prints the object files of llvm-bindings' own build (npm ci runs its
// cmake-js postinstall), for native/binding.gyp's llvm_bindings target, which
// links them with LLVM's BPF target only.
const fs = require('fs');
const path = require('path');

const dir = path.join(path.dirname(require.resolve('llvm-bindings/package.json')), 'build/CMakeFiles/llvm-bindings.dir');
function walk(d) {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.o') ? [path.join(d, e.name)] : []);
}
const objects = fs.existsSync(dir) ? walk(dir).sort() : [];
if (objects.length === 0) {
  process.stderr.write(`no object files in ${dir}: llvm-bindings is not built (npm ci builds it)\n`);
  process.exit(1);
}
process.stdout.write(objects.join('\n') + '\n');
