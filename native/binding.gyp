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
      "libraries": [
        "<!(llvm-config-14 --ldflags)",
        "-lLLVM-14",
        "-Wl,-rpath,<!(llvm-config-14 --libdir)"
      ]
    }
  ]
}
