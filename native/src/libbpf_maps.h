// The libbpf-loadable flavour of an emitted object (for --emit-elf): maps as
// BTF-defined map globals in ".maps", referenced through relocations, instead
// of BPF_PSEUDO_MAP_IDX indexes into a load-time fd_array (which libbpf's
// object loader does not provide).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class Module;
}

namespace tstrace {

struct LibbpfMapDef {
  std::string name;
  uint32_t type = 0, keySize = 0, valueSize = 0, maxEntries = 0;
  // Initial value words of a one-element array that code addresses directly (BPF_PSEUDO_MAP_IDX_VALUE).
  std::vector<uint64_t> valueWords;
};

// Adds one ".maps" global per map (with the BTF libbpf reads: a struct of
// pointer-to-array members, as __uint(type, ...) declares them) and replaces
// every llvm.bpf.pseudo(BPF_PSEUDO_MAP_IDX, i) with the address of map i.
// A direct value reference, llvm.bpf.pseudo(BPF_PSEUDO_MAP_IDX_VALUE, i),
// becomes the address of a ".data" global holding map i's value (libbpf
// turns .data into an array map of its own and relocates those loads).
// Returns an error message, empty on success.
std::string AddLibbpfMaps(llvm::Module& mod, const std::vector<LibbpfMapDef>& maps);

}  // namespace tstrace
