// For native/binding.gyp's tstrace_llvm target: prints the object files of
// llvm-bindings' own build (npm ci runs its cmake-js postinstall) but its
// module entry (src/llvm-bindings.cpp.o: addon_llvm.cc calls the Init*
// functions it would call, and registers the module itself); with
// --node-addon-api, the node-addon-api headers those objects were compiled
// against.
const fs = require('fs');
const path = require('path');

const pkg = path.dirname(require.resolve('llvm-bindings/package.json'));
if (process.argv[2] === '--node-addon-api') {
  process.stdout.write(path.dirname(require.resolve('node-addon-api/package.json', { paths: [pkg] })) + '\n');
  process.exit(0);
}
const dir = path.join(pkg, 'build/CMakeFiles/llvm-bindings.dir');
const entry = path.join(dir, 'src/llvm-bindings.cpp.o');
function walk(d) {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.o') ? [path.join(d, e.name)] : []);
}
const all = fs.existsSync(dir) ? walk(dir).sort() : [];
if (all.length === 0 || !all.includes(entry)) {
  process.stderr.write(`no llvm-bindings objects in ${dir}: llvm-bindings is not built (npm ci builds it)\n`);
  process.exit(1);
}
process.stdout.write(all.filter((o) => o !== entry).join('\n') + '\n');
