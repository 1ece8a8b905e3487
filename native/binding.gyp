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
      # One LLVM in the process: every LLVM symbol that llvm-bindings.node
      # (LLVM 14 linked statically, symbols exported) defines binds to its copy
      # at run time (a DT_NEEDED dependency, found through the RUNPATH on a
      # fresh clone and recognised by its SONAME once require('llvm-bindings')
      # has loaded it). It comes before the static archives, so the linker
      # takes from them only the objects llvm-bindings lacks (the new pass
      # manager's PassBuilder and the passes only it refers to) and no object
      # of LLVM is in the process twice (no cl::opt registered twice).
      # Node still finds this addon's own napi_register_module_v1: dlsym on a
      # handle searches the object before its dependencies.
      "libraries": [
        "-L<!(node -p \"require('path').join(require('path').dirname(require.resolve('llvm-bindings/package.json')), 'build/Release')\")",
        "-l:llvm-bindings.node",
        "-Wl,-rpath,'$$ORIGIN/../../../node_modules/llvm-bindings/build/Release'",
        "<!(llvm-config-14 --ldflags)",
        "<!@(llvm-config-14 --link-static --libs passes bpfcodegen irreader object)"
      ]
    }
  ]
}
