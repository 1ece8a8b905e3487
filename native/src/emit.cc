// emitObject: LLVM IR text -> optimised BPF ELF object, in memory.
//
// LLVM reports some errors through report_fatal_error(), which by default
// prints and exits the process. While we are inside LLVM we install a fatal
// error handler that siglongjmp()s back to emitObject, turning the failure
// into a JS exception. Whatever LLVM had allocated on that path is leaked (the
// context, module and target machine are heap-allocated and deliberately not
// freed after a fatal error). Non-fatal backend errors (DiagnosticInfo with
// DS_Error severity, e.g. the BPF backend's "unsupported" diagnostics) are
// collected by a context diagnostic handler, which also keeps LLVM from
// printing anything or calling exit().
#include <cstdlib>
#include "common.h"
#include "libbpf_maps.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>

#include <csetjmp>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tstrace {
namespace {

constexpr const char* kTriple = "bpfel-pc-linux";  // "bpf" = host endianness; be explicit
constexpr const char* kErrPrefix = "LLVM error: ";

struct EmitJob {
  // inputs
  std::string ir;
  std::vector<std::pair<std::string, std::string>> sections;  // symbol -> section
  int optLevel = 2;
  std::string cpu = "v3";
  bool wantIr = false;
  // libbpf flavour (--emit-elf): BTF-defined maps, relocations allowed.
  bool libbpfMaps = false;
  std::vector<LibbpfMapDef> maps;

  // outputs
  bool failed = false;
  std::string error;        // complete message when failed
  int parseLine = -1, parseColumn = -1;
  std::string object;
  std::map<std::string, std::string> sectionBytes;  // section name -> contents
  std::map<std::string, std::pair<std::string, uint64_t>> functions;  // function -> (section, byte offset)
  std::string optimizedIr;

  // state
  std::vector<std::string> diagErrors;
  sigjmp_buf jmp;
};

void Fail(EmitJob* job, std::string msg) {
  job->failed = true;
  job->error = std::move(msg);
}

void FatalErrorHandler(void* data, const char* reason, bool /*gen_crash_diag*/) {
  auto* job = static_cast<EmitJob*>(data);
  Fail(job, std::string(kErrPrefix) + (reason ? reason : "unknown fatal error"));
  siglongjmp(job->jmp, 1);  // never return into LLVM (it would exit the process)
}

void DiagnosticHandler(const llvm::DiagnosticInfo& di, void* ctx) {
  if (di.getSeverity() != llvm::DS_Error) return;  // warnings, remarks, notes: ignored
  auto* job = static_cast<EmitJob*>(ctx);
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::DiagnosticPrinterRawOStream printer(os);
  di.print(printer);
  os.flush();
  job->diagErrors.push_back(std::move(s));
}

bool CheckDiagnostics(EmitJob* job) {
  if (job->diagErrors.empty()) return true;
  std::string msg = kErrPrefix;
  for (size_t i = 0; i < job->diagErrors.size(); i++) {
    if (i) msg += "\n";
    msg += job->diagErrors[i];
  }
  Fail(job, std::move(msg));
  return false;
}

std::string ToString(llvm::Error err) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << err;
  return os.str();
}

void InitTargetOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
  });
}

// Reads the sections back from the emitted object. The only relocations
// allowed in a program section are `ld_imm64` loads of a function's address
// in the same section (a bpf_for_each_map_elem callback): they are resolved
// here, as libbpf would, into BPF_PSEUDO_FUNC loads whose imm is the callee's
// instruction offset relative to the next instruction. Anything else (globals,
// other sections, direct calls) is rejected.
void ReadBack(EmitJob* job) {
  std::map<std::string, bool> wanted;
  for (auto& [sym, sec] : job->sections) wanted[sec] = false;

  llvm::MemoryBufferRef ref(llvm::StringRef(job->object.data(), job->object.size()), "tstrace.o");
  auto objOrErr = llvm::object::ObjectFile::createObjectFile(ref);
  if (!objOrErr) return Fail(job, std::string(kErrPrefix) + "cannot read emitted object: " + ToString(objOrErr.takeError()));
  llvm::object::ObjectFile& obj = **objOrErr;

  auto sectionName = [&](const llvm::object::SectionRef& sec, std::string& out) -> bool {
    auto n = sec.getName();
    if (!n) {
      Fail(job, std::string(kErrPrefix) + ToString(n.takeError()));
      return false;
    }
    out = n->str();
    return true;
  };

  for (const llvm::object::SectionRef& sec : obj.sections()) {
    std::string name;
    if (!sectionName(sec, name)) return;
    auto w = wanted.find(name);
    if (w == wanted.end()) continue;
    auto contents = sec.getContents();
    if (!contents) return Fail(job, std::string(kErrPrefix) + ToString(contents.takeError()));
    job->sectionBytes[name] = contents->str();
    w->second = true;
  }
  for (auto& [name, found] : wanted)
    if (!found) return Fail(job, "emitObject: section '" + name + "' is missing from the emitted object");

  // Function symbols in program sections: their offsets (BTF func_info needs them).
  for (const llvm::object::SymbolRef& sym : obj.symbols()) {
    auto type = sym.getType();
    if (!type) { llvm::consumeError(type.takeError()); continue; }
    if (*type != llvm::object::SymbolRef::ST_Function) continue;
    auto sn = sym.getName();
    auto ss = sym.getSection();
    auto value = sym.getValue();
    if (!sn || !ss || !value || *ss == obj.section_end()) {
      if (!sn) llvm::consumeError(sn.takeError());
      if (!ss) llvm::consumeError(ss.takeError());
      if (!value) llvm::consumeError(value.takeError());
      continue;
    }
    std::string secName;
    if (!sectionName(**ss, secName)) return;
    if (!wanted.count(secName)) continue;
    job->functions[sn->str()] = {secName, *value};
  }

  for (const llvm::object::SectionRef& sec : obj.sections()) {
    auto target = sec.getRelocatedSection();
    if (!target) return Fail(job, std::string(kErrPrefix) + ToString(target.takeError()));
    if (*target == obj.section_end()) continue;
    std::string targetName;
    if (!sectionName(**target, targetName)) return;
    if (!wanted.count(targetName)) continue;
    if (job->libbpfMaps) continue;  // map relocations are the point of that flavour; libbpf resolves them
    std::string& code = job->sectionBytes[targetName];
    for (const llvm::object::RelocationRef& rel : sec.relocations()) {
      std::string symName = "<none>";
      uint64_t symValue = 0;
      bool sameSectionFunc = false;
      llvm::object::symbol_iterator sym = rel.getSymbol();
      if (sym != obj.symbol_end()) {
        auto sn = sym->getName();
        auto ss = sym->getSection();
        auto type = sym->getType();
        auto value = sym->getValue();
        std::string symSection;
        if (ss && *ss != obj.section_end()) {
          if (!sectionName(**ss, symSection)) return;
        }
        if (sn && !sn->empty()) symName = sn->str(); else symName = symSection.empty() ? "<none>" : symSection;
        // A section symbol (ST_Debug) of the program's own section also addresses its code.
        bool isFunc = type && (*type == llvm::object::SymbolRef::ST_Function || *type == llvm::object::SymbolRef::ST_Debug);
        if (value) symValue = *value;
        sameSectionFunc = isFunc && symSection == targetName;
        if (!sn) llvm::consumeError(sn.takeError());
        if (!ss) llvm::consumeError(ss.takeError());
        if (!type) llvm::consumeError(type.takeError());
        if (!value) llvm::consumeError(value.takeError());
      }
      uint64_t off = rel.getOffset();
      // A call of an undefined `__kfunc_<btf id>_<name>` is a kfunc call
      // (codegen names the declaration so): src_reg BPF_PSEUDO_KFUNC_CALL,
      // imm the function's vmlinux BTF id, as libbpf resolves `__ksym` externs.
      bool call = off + 8 <= code.size() && off % 8 == 0 && static_cast<uint8_t>(code[off]) == 0x85;
      if (call && !sameSectionFunc && symName.rfind("__kfunc_", 0) == 0) {
        int32_t btfId = static_cast<int32_t>(std::strtol(symName.c_str() + 8, nullptr, 10));
        code[off + 1] = static_cast<char>((static_cast<uint8_t>(code[off + 1]) & 0x0f) | (2 << 4));
        memcpy(&code[off + 4], &btfId, 4);
        continue;
      }
      bool ldImm64 = off + 16 <= code.size() && off % 8 == 0 && static_cast<uint8_t>(code[off]) == 0x18;
      // The address of an undefined `__ksym_<btf id>_<name>` is a kernel
      // variable's: src_reg BPF_PSEUDO_BTF_ID, imm its vmlinux BTF VAR id.
      if (ldImm64 && !sameSectionFunc && symName.rfind("__ksym_", 0) == 0) {
        int32_t btfId = static_cast<int32_t>(std::strtol(symName.c_str() + 7, nullptr, 10));
        int32_t zero = 0;
        code[off + 1] = static_cast<char>((static_cast<uint8_t>(code[off + 1]) & 0x0f) | (3 << 4));
        memcpy(&code[off + 4], &btfId, 4);
        memcpy(&code[off + 12], &zero, 4);
        continue;
      }
      if (!sameSectionFunc || !ldImm64) {
        return Fail(job, "emitObject: section '" + targetName + "' has a relocation against symbol '" +
                             symName + "' at offset " + std::to_string(off) +
                             " (programs may only take the address of a function in their own section)");
      }
      int32_t imm;
      memcpy(&imm, &code[off + 4], 4);
      int64_t calleeByte = static_cast<int64_t>(symValue) + imm;
      if (calleeByte % 8 != 0) return Fail(job, "emitObject: misaligned function address relocation in '" + targetName + "'");
      int32_t rel32 = static_cast<int32_t>(calleeByte / 8 - static_cast<int64_t>(off / 8) - 1);
      code[off + 1] = static_cast<char>((static_cast<uint8_t>(code[off + 1]) & 0x0f) | (4 << 4));  // src_reg = BPF_PSEUDO_FUNC
      memcpy(&code[off + 4], &rel32, 4);
    }
  }
}

// Everything that touches LLVM. May siglongjmp out via FatalErrorHandler.
void RunEmit(EmitJob* job) {
  InitTargetOnce();

  // Heap objects, freed only on normal return; leaked after a fatal error.
  auto* ctx = new llvm::LLVMContext();
  ctx->setDiagnosticHandlerCallBack(DiagnosticHandler, job);
  std::unique_ptr<llvm::LLVMContext> ctxOwner(ctx);  // destroyed last

  llvm::SMDiagnostic parseErr;
  std::unique_ptr<llvm::Module> mod =
      llvm::parseIR(llvm::MemoryBufferRef(job->ir, "tstrace.ll"), parseErr, *ctx);
  if (!mod) {
    std::string s;
    llvm::raw_string_ostream os(s);
    parseErr.print(nullptr, os, /*ShowColors=*/false);
    os.flush();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    job->parseLine = parseErr.getLineNo();
    job->parseColumn = parseErr.getColumnNo() + 1;
    return Fail(job, std::string(kErrPrefix) + s);
  }
  if (!CheckDiagnostics(job)) return;

  for (auto& [sym, sec] : job->sections) {
    if (llvm::Function* f = mod->getFunction(sym)) {
      f->setSection(sec);
    } else if (llvm::GlobalVariable* g = mod->getGlobalVariable(sym, /*AllowInternal=*/true)) {
      g->setSection(sec);
    } else {
      return Fail(job, "emitObject: no function or global variable named '" + sym + "' in the module");
    }
  }

  if (job->libbpfMaps) {
    std::string err = AddLibbpfMaps(*mod, job->maps);
    if (!err.empty()) return Fail(job, std::string(kErrPrefix) + err);
  }

  {
    std::string s;
    llvm::raw_string_ostream os(s);
    bool brokenDebugInfo = false;
    if (llvm::verifyModule(*mod, &os, &brokenDebugInfo) || brokenDebugInfo) {
      os.flush();
      while (!s.empty() && s.back() == '\n') s.pop_back();
      return Fail(job, std::string(kErrPrefix) + "invalid module: " + (s.empty() ? "broken debug info" : s));
    }
  }

  std::string targetErr;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTriple, targetErr);
  if (!target) return Fail(job, std::string(kErrPrefix) + targetErr);
  llvm::TargetOptions topts;
  llvm::CodeGenOpt::Level cgLevel = job->optLevel == 0   ? llvm::CodeGenOpt::None
                                    : job->optLevel == 1 ? llvm::CodeGenOpt::Less
                                    : job->optLevel == 2 ? llvm::CodeGenOpt::Default
                                                         : llvm::CodeGenOpt::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      kTriple, job->cpu, "", topts, llvm::Reloc::PIC_, llvm::None, cgLevel));
  if (!tm) return Fail(job, std::string(kErrPrefix) + "cannot create BPF target machine");
  mod->setTargetTriple(kTriple);
  mod->setDataLayout(tm->createDataLayout());

  {
    llvm::PassBuilder pb(tm.get());
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cam;
    llvm::ModuleAnalysisManager mam;
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cam, mam);
    llvm::OptimizationLevel level = job->optLevel == 0   ? llvm::OptimizationLevel::O0
                                    : job->optLevel == 1 ? llvm::OptimizationLevel::O1
                                    : job->optLevel == 2 ? llvm::OptimizationLevel::O2
                                                         : llvm::OptimizationLevel::O3;
    llvm::ModulePassManager mpm = job->optLevel == 0 ? pb.buildO0DefaultPipeline(level)
                                                     : pb.buildPerModuleDefaultPipeline(level);
    mpm.run(*mod, mam);
  }
  if (!CheckDiagnostics(job)) return;

  if (job->wantIr) {
    llvm::raw_string_ostream os(job->optimizedIr);
    mod->print(os, nullptr);
    os.flush();
  }

  llvm::SmallVector<char, 0> buf;
  {
    llvm::raw_svector_ostream os(buf);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile))
      return Fail(job, std::string(kErrPrefix) + "the BPF target cannot emit object files");
    pm.run(*mod);
  }
  if (!CheckDiagnostics(job)) return;
  job->object.assign(buf.data(), buf.size());

  ReadBack(job);
  mod.reset();  // before the context
}

// The only frame that calls sigsetjmp. Only `job` (never modified here) is
// used after a longjmp, so no volatile locals are needed.
void RunProtected(EmitJob* job) {
  llvm::install_fatal_error_handler(FatalErrorHandler, job);
  if (sigsetjmp(job->jmp, 0) == 0) RunEmit(job);
  llvm::remove_fatal_error_handler();
}

std::mutex gEmitMutex;  // the fatal error handler is process-global

Napi::Value EmitObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<EmitJob>();
  job->ir = ArgString(info, 0, "irText");

  Napi::Object secs = ArgObject(info, 1, "sections");
  Napi::Array names = secs.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    Napi::Value k = names.Get(i);
    Napi::Value v = secs.Get(k);
    if (!v.IsString())
      throw Napi::TypeError::New(env, "emitObject: sections['" + k.ToString().Utf8Value() + "'] must be a string");
    std::string sec = v.As<Napi::String>().Utf8Value();
    if (sec.empty()) throw Napi::TypeError::New(env, "emitObject: empty section name");
    job->sections.emplace_back(k.ToString().Utf8Value(), std::move(sec));
  }

  if (!ArgIsMissing(info, 2)) {
    Napi::Object opts = ArgObject(info, 2, "options");
    if (Has(opts, "optLevel")) {
      int64_t l = PropInt(opts, "optLevel", "options");
      if (l < 0 || l > 3) throw Napi::RangeError::New(env, "emitObject: optLevel must be 0..3");
      job->optLevel = static_cast<int>(l);
    }
    if (Has(opts, "cpu")) {
      Napi::Value c = opts.Get("cpu");
      if (!c.IsString()) throw Napi::TypeError::New(env, "emitObject: options.cpu must be a string");
      job->cpu = c.As<Napi::String>().Utf8Value();
    }
    if (Has(opts, "emitIr")) job->wantIr = opts.Get("emitIr").ToBoolean().Value();
    if (Has(opts, "libbpfMaps")) {
      Napi::Value v = opts.Get("libbpfMaps");
      if (!v.IsArray()) throw Napi::TypeError::New(env, "emitObject: options.libbpfMaps must be an array");
      Napi::Array arr = v.As<Napi::Array>();
      job->libbpfMaps = true;
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Value e = arr.Get(i);
        if (!e.IsObject()) throw Napi::TypeError::New(env, "emitObject: options.libbpfMaps entries must be objects");
        Napi::Object o = e.As<Napi::Object>();
        LibbpfMapDef d;
        Napi::Value name = o.Get("name");
        if (!name.IsString()) throw Napi::TypeError::New(env, "emitObject: libbpfMaps[].name must be a string");
        d.name = name.As<Napi::String>().Utf8Value();
        d.type = static_cast<uint32_t>(PropU64(o, "type", "libbpfMaps[]"));
        d.keySize = static_cast<uint32_t>(PropU64(o, "keySize", "libbpfMaps[]"));
        d.valueSize = static_cast<uint32_t>(PropU64(o, "valueSize", "libbpfMaps[]"));
        d.maxEntries = static_cast<uint32_t>(PropU64(o, "maxEntries", "libbpfMaps[]"));
        if (Has(o, "valueWords")) {
          Napi::Value w = o.Get("valueWords");
          if (!w.IsArray()) throw Napi::TypeError::New(env, "emitObject: libbpfMaps[].valueWords must be an array");
          Napi::Array words = w.As<Napi::Array>();
          for (uint32_t k = 0; k < words.Length(); k++)
            d.valueWords.push_back(static_cast<uint64_t>(words.Get(k).ToNumber().DoubleValue()));
        }
        job->maps.push_back(std::move(d));
      }
    }
  }

  {
    std::lock_guard<std::mutex> lock(gEmitMutex);
    RunProtected(job.get());
  }

  if (job->failed) {
    Napi::Error e = Napi::Error::New(env, job->error);
    if (job->parseLine >= 0) {
      e.Set("line", Napi::Number::New(env, job->parseLine));
      e.Set("column", Napi::Number::New(env, job->parseColumn));
    }
    throw e;
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("object", Napi::Buffer<char>::Copy(env, job->object.data(), job->object.size()));
  Napi::Object outSecs = Napi::Object::New(env);
  for (auto& [name, bytes] : job->sectionBytes)
    outSecs.Set(name, Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size()));
  result.Set("sections", outSecs);
  Napi::Object outFns = Napi::Object::New(env);
  for (auto& [name, where] : job->functions) {
    Napi::Object f = Napi::Object::New(env);
    f.Set("section", Napi::String::New(env, where.first));
    f.Set("offset", Napi::Number::New(env, static_cast<double>(where.second)));
    outFns.Set(name, f);
  }
  result.Set("functions", outFns);
  if (job->wantIr) result.Set("ir", Napi::String::New(env, job->optimizedIr));
  return result;
}

}  // namespace

void InitEmit(Napi::Env env, Napi::Object exports) {
  exports.Set("emitObject", Napi::Function::New(env, EmitObject, "emitObject"));
}

}  // namespace tstrace
