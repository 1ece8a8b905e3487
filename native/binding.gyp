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
        "src/digest.cc",
        "src/kallsyms.cc"
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
        "-fno-rtti",
        "-fno-exceptions",
        "-std=gnu++17",
        "-std=gnu++14"
      ],
      "target_name": "tstrace_llvm",
      # LLVM for a compile, in one file: llvm-bindings (the IR-building API
      # codegen uses: its module init Init* is called from addon_llvm.cc) and
      # emitObject (the new pass manager's O2 and object emission, which
      # llvm-bindings lacks), with LLVM's BPF target only. llvm-bindings'
      # objects come from its own build (npm ci's cmake-js postinstall); the
      # package's llvm-bindings.node carries every target (110 MB, 341k
      # relocations and 552 static constructors at dlopen) and is never
      # loaded. Only the N-API entry points are exported (tstrace_llvm.map), so
      # --gc-sections drops what nothing calls and LLVM's references are
      # resolved at link time. This target is compiled against the
      # node-addon-api that llvm-bindings' objects were compiled against, and
      # with RTTI as they were: one link keeps one copy of each inline
      # function, which must be the same code for both.
      "sources": [
        "src/addon_llvm.cc",
        "src/common.cc",
        "src/emit.cc",
        "src/libbpf_maps.cc",
        "src/bpf_only_targets.c"
      ],
      "include_dirs": [
        "<!(node llvm-bindings-objects.js --node-addon-api)",
        "<!(llvm-config-14 --includedir)"
      ],
      "ldflags": [
        "-Wl,--version-script=<(module_root_dir)/tstrace_llvm.map",
        "-Wl,--gc-sections"
      ],
      "libraries": [
        "<!@(node llvm-bindings-objects.js)",
        "<!(llvm-config-14 --ldflags)",
        "<!@(llvm-config-14 --link-static --libs passes bpfcodegen irreader object core codegen linker support target bpf)",
        "-lz",
        "-ltinfo"
      ]
    }
  ]
}
