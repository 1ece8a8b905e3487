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
constexpr uint64_t kPseudoMapIdxValue = 6;
constexpr uint32_t kRingbuf = 27;
}  // namespace

// The ".data" global standing for the value of a directly addressed array map.
static llvm::GlobalVariable* ValueGlobal(llvm::Module& mod, llvm::DIBuilder& di, llvm::DICompileUnit* cu, llvm::DIFile* file,
                                  const LibbpfMapDef& m) {
  llvm::LLVMContext& ctx = mod.getContext();
  uint64_t words = (m.valueSize + 7) / 8;
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  auto* ty = llvm::ArrayType::get(i64, words);
  std::vector<llvm::Constant*> init;
  for (uint64_t k = 0; k < words; k++) init.push_back(llvm::ConstantInt::get(i64, k < m.valueWords.size() ? m.valueWords[k] : 0));
  auto* gv = new llvm::GlobalVariable(mod, ty, false, llvm::GlobalValue::ExternalLinkage,
                                      llvm::ConstantArray::get(ty, init), m.name + "_value");
  gv->setSection(".data");
  gv->setAlignment(llvm::Align(8));
  llvm::DIBasicType* u64 = di.createBasicType("unsigned long long", 64, llvm::dwarf::DW_ATE_unsigned);
  llvm::Metadata* range = di.getOrCreateSubrange(0, static_cast<int64_t>(words));
  llvm::DICompositeType* arr = di.createArrayType(64 * words, 64, u64, di.getOrCreateArray({range}));
  gv->addDebugInfo(di.createGlobalVariableExpression(cu, gv->getName(), gv->getName(), file, 0, arr, false));
  return gv;
}

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
  std::vector<llvm::GlobalVariable*> values(maps.size(), nullptr);
  llvm::DIBuilder di2(mod, true, cu);
  std::vector<llvm::CallInst*> calls;
  for (llvm::User* u : pseudo->users())
    if (auto* ci = llvm::dyn_cast<llvm::CallInst>(u)) calls.push_back(ci);
  for (llvm::CallInst* ci : calls) {
    auto* kind = llvm::dyn_cast<llvm::ConstantInt>(ci->getArgOperand(0));
    auto* index = llvm::dyn_cast<llvm::ConstantInt>(ci->getArgOperand(1));
    if (!kind || !index || (kind->getZExtValue() != kPseudoMapIdx && kind->getZExtValue() != kPseudoMapIdxValue)) continue;
    uint64_t i = index->getZExtValue();
    if (i >= globals.size()) return "map index " + std::to_string(i) + " out of range";
    llvm::GlobalVariable* target = globals[i];
    if (kind->getZExtValue() == kPseudoMapIdxValue) {
      if (!values[i]) values[i] = ValueGlobal(mod, di2, cu, file, maps[i]);
      target = values[i];
    }
    ci->replaceAllUsesWith(llvm::ConstantExpr::getPtrToInt(target, ci->getType()));
    ci->eraseFromParent();
  }
  di2.finalize();
  return "";
}

}  // namespace tstrace
