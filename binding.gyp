{
  "targets": [
    {
      "target_name": "leakscan_native",
      "sources": ["native/src/leakscan_native.cc"],
      "cflags_cc": ["-O2", "-std=c++17"]
    },
    {
      "target_name": "action_after_build",
      "type": "none",
      "dependencies": ["leakscan_native"],
      "copies": [{ "files": ["<(PRODUCT_DIR)/leakscan_native.node"], "destination": "<(module_path)" }]
    }
  ]
}
