// Tests need tracefs; a fresh machine may not have it mounted.
const fs = require('fs');
const { execFileSync } = require('child_process');
if (!fs.existsSync('/sys/kernel/tracing/events')) {
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'inherit' });
  } catch (e) {
    console.error(`could not mount tracefs: ${e.message}`);
  }
}
