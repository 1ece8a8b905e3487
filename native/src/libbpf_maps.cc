#include "libbpf_maps.h"

#include <llvm/BinaryFormat/Dwarf.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DIBuilder.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>

namespace tstrace {

namespace {
constexpr uint64_t kPseudoMapIdx = 5;
constexpr uint32_t kRingbuf = 27;
}  // namespace

std::string AddLibbpfMaps(llvm::Module& mod, const std::vector<LibbpfMapDef>& maps) {
  llvm::LLVMContext& ctx = mod.getContext();
  auto cus = mod.debug_compile_units();
  if (cus.begin() == cus.end()) return "libbpf maps need the module's debug info (no compile unit)";
  llvm::DICompileUnit* cu = *cus.begin();
  llvm::DIFile* file = cu->getFile();
  llvm::DIBuilder di(mod, true, cu);
  llvm::DIBasicType* intTy = di.createBasicType("int", 32, llvm::dwarf::DW_ATE_signed);
  llvm::Type* i8p = llvm::Type::getInt8PtrTy(ctx);

  std::vector<llvm::GlobalVariable*> globals;
  for (const LibbpfMapDef& m : maps) {
    // __uint(name, value) is `int (*name)[value]`: BTF carries the value as the array length.
    std::vector<std::pair<const char*, uint32_t>> fields = {{"type", m.type}, {"max_entries", m.maxEntries}};
    if (m.type != kRingbuf) {
      fields.push_back({"key_size", m.keySize});
      fields.push_back({"value_size", m.valueSize});
    }
    std::vector<llvm::Metadata*> members;
    uint64_t offset = 0;
    for (auto& [fname, value] : fields) {
      llvm::Metadata* range = di.getOrCreateSubrange(0, static_cast<int64_t>(value));
      llvm::DICompositeType* arr = di.createArrayType(32ull * value, 32, intTy, di.getOrCreateArray({range}));
      llvm::DIDerivedType* ptr = di.createPointerType(arr, 64);
      members.push_back(di.createMemberType(cu, fname, file, 0, 64, 0, offset, llvm::DINode::FlagZero, ptr));
      offset += 64;
    }
    llvm::DICompositeType* st = di.createStructType(cu, "", file, 0, offset, 0, llvm::DINode::FlagZero, nullptr,
                                                    di.getOrCreateArray(members));
    auto* ty = llvm::StructType::get(ctx, std::vector<llvm::Type*>(fields.size(), i8p));
    auto* gv = new llvm::GlobalVariable(mod, ty, false, llvm::GlobalValue::ExternalLinkage,
                                        llvm::ConstantAggregateZero::get(ty), m.name);
    gv->setSection(".maps");
    gv->setAlignment(llvm::Align(8));
    gv->addDebugInfo(di.createGlobalVariableExpression(cu, m.name, m.name, file, 0, st, false));
    globals.push_back(gv);
  }
  di.finalize();

  llvm::Function* pseudo = mod.getFunction("llvm.bpf.pseudo");
  if (!pseudo) return "";
  std::vector<llvm::CallInst*> calls;
  for (llvm::User* u : pseudo->users())
    if (auto* ci = llvm::dyn_cast<llvm::CallInst>(u)) calls.push_back(ci);
  for (llvm::CallInst* ci : calls) {
    auto* kind = llvm::dyn_cast<llvm::ConstantInt>(ci->getArgOperand(0));
    auto* index = llvm::dyn_cast<llvm::ConstantInt>(ci->getArgOperand(1));
    if (!kind || !index || kind->getZExtValue() != kPseudoMapIdx) continue;
    uint64_t i = index->getZExtValue();
    if (i >= globals.size()) return "map index " + std::to_string(i) + " out of range";
    ci->replaceAllUsesWith(llvm::ConstantExpr::getPtrToInt(globals[i], ci->getType()));
    ci->eraseFromParent();
  }
  return "";
}

}  // namespace tstrace
