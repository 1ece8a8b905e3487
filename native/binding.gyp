{
  "targets": [
    {
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "_GNU_SOURCE",
        "__STDC_CONSTANT_MACROS",
        "__STDC_FORMAT_MACROS",
        "__STDC_LIMIT_MACROS"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17",
        "-std=gnu++14"
      ],
      "target_name": "tstrace_native",
      "sources": [
        "src/addon.cc",
        "src/common.cc",
        "src/bpf.cc",
        "src/ringbuf.cc",
        "src/hangup.cc",
        "src/demangle.cc",
        "src/preload.cc",
        "src/digest.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "libraries": [
        "-lbpf",
        "-ldl",
        "-pthread"
      ]
    },
    {
      # llvm-bindings (the IR-building API codegen uses) relinked from the
      # objects of its own build with LLVM's BPF target only: the package's
      # llvm-bindings.node carries every target (110 MB, 341k relocations and
      # 552 static constructors at dlopen, ~55 MB RSS); this one is ~40 MB,
      # 1.3 MB of relocations. src/bpf_only_targets.c stands in for the other
      # targets' initialisers that its InitializeAll*() name.
      "target_name": "llvm_bindings",
      "sources": ["src/bpf_only_targets.c"],
      "include_dirs": ["<!(llvm-config-14 --includedir)"],
      "libraries": [
        "<!@(node llvm-bindings-objects.js)",
        "<!(llvm-config-14 --ldflags)",
        "<!@(llvm-config-14 --link-static --libs core codegen irreader linker support target bpf)",
        "-lz",
        "-ltinfo"
      ]
    },
    {
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "_GNU_SOURCE",
        "__STDC_CONSTANT_MACROS",
        "__STDC_FORMAT_MACROS",
        "__STDC_LIMIT_MACROS"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17",
        "-std=gnu++14"
      ],
      "target_name": "tstrace_llvm",
      "sources": [
        "src/addon_llvm.cc",
        "src/common.cc",
        "src/emit.cc",
        "src/libbpf_maps.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(llvm-config-14 --includedir)"
      ],
      # One LLVM in the process, BPF only: every LLVM symbol that our build of
      # llvm-bindings (target llvm_bindings below) defines binds to its copy
      # at run time (a DT_NEEDED dependency, found through the RUNPATH and
      # recognised by its SONAME once codegen has loaded it). It comes before
      # the static archives, so the linker takes from them only the objects
      # llvm-bindings lacks (the new pass manager's PassBuilder and the passes
      # only it refers to) and no object of LLVM is in the process twice (no
      # cl::opt registered twice). Node still finds this addon's own
      # napi_register_module_v1: dlsym on a handle searches the object before
      # its dependencies.
      "dependencies": ["llvm_bindings"],
      "libraries": [
        "-L<(PRODUCT_DIR)",
        "-l:llvm_bindings.node",
        "-Wl,-rpath,'$$ORIGIN'",
        "<!(llvm-config-14 --ldflags)",
        "<!@(llvm-config-14 --link-static --libs passes bpfcodegen irreader object)"
      ]
    }
  ]
}
