// leakscan's stack-capture addon, loaded into a Node target by the agent
// (src/sources/node/agent.js) with process.dlopen, only when it was built for
// that process's Node ABI. It installs no hook and starts no thread: it does
// work only when the agent calls it.
//
// capture(depth) walks the current JavaScript stack with V8's own API and
// returns a small integer: the id of that stack, interned here. A frame is
// keyed by (script id, line, column); its function and file names are read
// only the first time that frame is seen, so a capture at a known site
// allocates no JavaScript object or string. The frames of the agent itself
// and of Node's async_hooks machinery above the resource's creation are
// skipped. symbols() hands the tables over when a snapshot is taken; place(id)
// tells, per stack, the innermost frame outside Node's own code (the agent
// follows lineages by it); promiseState(p) reads a promise's state, which
// JavaScript can only learn by formatting the promise.
//
// The tables have no lock: they belong to the first thread (isolate) that
// loads the addon, which is the target's main thread, where the agent runs.
// Called from any other thread (a worker thread that loaded it too), every
// function throws instead of touching them.
#include <node.h>
#include <v8.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using v8::Array;
using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Integer;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::Promise;
using v8::StackFrame;
using v8::StackTrace;
using v8::String;
using v8::Value;

struct Frame {
  std::string fn;
  std::string file;
  int line;
  int script_id;
  bool async_hooks;  // Node's hook machinery: never where a resource was made
};

struct Tables {
  std::unordered_map<uint64_t, int> frame_ids;
  std::vector<Frame> frames;
  std::unordered_map<std::string, int> stack_ids;
  std::vector<std::vector<int>> stacks;
  std::vector<int> places;
};

// One set of tables per process, for the owner's thread only.
Tables tables;
std::atomic<Isolate*> owner{nullptr};

// Whether the call comes from the owner's thread; if not, an exception is
// pending and the caller returns at once.
bool FromOwner(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (owner.load() == isolate) return true;
  isolate->ThrowException(v8::Exception::Error(String::NewFromUtf8Literal(
      isolate, "leakscan's native addon serves one thread per process, and another thread loaded it first")));
  return false;
}

// When the owner's environment ends (the process exits), the tables go with it.
void ReleaseTables(void*) {
  tables = Tables();
  owner.store(nullptr);
}

// Frames walked beyond the requested depth: room for the agent's own frames
// and the async_hooks frames that are skipped.
constexpr int kSkippableFrames = 8;

std::string ToUtf8(Isolate* isolate, Local<String> value) {
  if (value.IsEmpty()) return std::string();
  String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

int InternFrame(Isolate* isolate, Local<StackFrame> frame) {
  const int script_id = frame->GetScriptId();
  // One position lookup: GetLineNumber and GetColumn would each do it.
  v8::Location location = frame->GetLocation();
  const int line = location.GetLineNumber() + 1;
  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(script_id)) << 40) ^
                       (static_cast<uint64_t>(static_cast<uint32_t>(line)) << 20) ^
                       static_cast<uint64_t>(static_cast<uint32_t>(location.GetColumnNumber()));
  auto found = tables.frame_ids.find(key);
  if (found != tables.frame_ids.end()) return found->second;
  Frame info;
  info.fn = ToUtf8(isolate, frame->GetFunctionName());
  info.file = ToUtf8(isolate, frame->GetScriptNameOrSourceURL());
  info.line = line;
  info.script_id = script_id;
  info.async_hooks = info.file == "node:internal/async_hooks";
  const int id = static_cast<int>(tables.frames.size());
  tables.frames.push_back(std::move(info));
  tables.frame_ids.emplace(key, id);
  return id;
}

int PlaceOf(const std::vector<int>& ids) {
  for (int id : ids) {
    const std::string& file = tables.frames[id].file;
    if (!file.empty() && file.rfind("node:", 0) != 0) return id;
  }
  return -1;
}

void Capture(const FunctionCallbackInfo<Value>& args) {
  if (!FromOwner(args)) return;
  Isolate* isolate = args.GetIsolate();
  int depth = 16;
  if (args.Length() > 0 && args[0]->IsInt32()) depth = args[0].As<v8::Int32>()->Value();
  if (depth < 1) depth = 1;
  if (depth > 200) depth = 200;
  Local<StackTrace> trace = StackTrace::CurrentStackTrace(isolate, depth + kSkippableFrames);
  const int count = trace->GetFrameCount();
  std::vector<int> ids;
  ids.reserve(depth);
  int agent_script = -1;
  bool skipping = true;
  for (int i = 0; i < count && static_cast<int>(ids.size()) < depth; i++) {
    const int id = InternFrame(isolate, trace->GetFrame(isolate, i));
    if (skipping) {
      const Frame& frame = tables.frames[id];
      if (i == 0) agent_script = frame.script_id;  // the agent's function that called us
      if (frame.script_id == agent_script || frame.async_hooks) continue;
      skipping = false;
    }
    ids.push_back(id);
  }
  std::string key(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int));
  auto found = tables.stack_ids.find(key);
  if (found != tables.stack_ids.end()) {
    args.GetReturnValue().Set(found->second);
    return;
  }
  const int id = static_cast<int>(tables.stacks.size());
  tables.places.push_back(PlaceOf(ids));
  tables.stacks.push_back(std::move(ids));
  tables.stack_ids.emplace(std::move(key), id);
  args.GetReturnValue().Set(id);
}

void Place(const FunctionCallbackInfo<Value>& args) {
  if (!FromOwner(args)) return;
  const int id = args.Length() > 0 && args[0]->IsInt32() ? args[0].As<v8::Int32>()->Value() : -1;
  args.GetReturnValue().Set(id >= 0 && static_cast<size_t>(id) < tables.places.size() ? tables.places[id] : -1);
}

// 0 pending, 1 fulfilled, 2 rejected, -1 not a promise.
void PromiseState(const FunctionCallbackInfo<Value>& args) {
  if (args.Length() < 1 || !args[0]->IsPromise()) {
    args.GetReturnValue().Set(-1);
    return;
  }
  args.GetReturnValue().Set(static_cast<int>(args[0].As<Promise>()->State()));
}

Local<String> Utf8(Isolate* isolate, const std::string& text) {
  return String::NewFromUtf8(isolate, text.c_str(), v8::NewStringType::kNormal, static_cast<int>(text.size())).ToLocalChecked();
}

void Symbols(const FunctionCallbackInfo<Value>& args) {
  if (!FromOwner(args)) return;
  Isolate* isolate = args.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  Local<Array> frames = Array::New(isolate, static_cast<int>(tables.frames.size()));
  for (size_t i = 0; i < tables.frames.size(); i++) {
    const Frame& f = tables.frames[i];
    Local<Value> parts[] = {Utf8(isolate, f.fn), Utf8(isolate, f.file), Integer::New(isolate, f.line)};
    frames->Set(context, static_cast<uint32_t>(i), Array::New(isolate, parts, 3)).Check();
  }
  Local<Array> stacks = Array::New(isolate, static_cast<int>(tables.stacks.size()));
  for (size_t i = 0; i < tables.stacks.size(); i++) {
    const std::vector<int>& ids = tables.stacks[i];
    Local<Array> stack = Array::New(isolate, static_cast<int>(ids.size()));
    for (size_t j = 0; j < ids.size(); j++) stack->Set(context, static_cast<uint32_t>(j), Integer::New(isolate, ids[j])).Check();
    stacks->Set(context, static_cast<uint32_t>(i), stack).Check();
  }
  Local<Object> result = Object::New(isolate);
  result->Set(context, String::NewFromUtf8Literal(isolate, "frames"), frames).Check();
  result->Set(context, String::NewFromUtf8Literal(isolate, "stacks"), stacks).Check();
  args.GetReturnValue().Set(result);
}

// Frees the tables: called when the agent is removed (a loaded addon stays
// mapped in the process, empty and idle).
void Reset(const FunctionCallbackInfo<Value>& args) {
  if (!FromOwner(args)) return;
  tables = Tables();
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = context->GetIsolate();
  Isolate* none = nullptr;
  // The first thread to load the addon owns its tables (loading it again on
  // that thread changes nothing).
  if (owner.compare_exchange_strong(none, isolate)) node::AddEnvironmentCleanupHook(isolate, ReleaseTables, nullptr);
  NODE_SET_METHOD(exports, "capture", Capture);
  NODE_SET_METHOD(exports, "place", Place);
  NODE_SET_METHOD(exports, "promiseState", PromiseState);
  NODE_SET_METHOD(exports, "symbols", Symbols);
  NODE_SET_METHOD(exports, "reset", Reset);
}
