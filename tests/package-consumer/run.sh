#!/usr/bin/env bash
# Consumes QuietStar.Core as a package, the way a new user does (issue 14):
#   1. packs src/QuietStar.Core into a temporary folder feed (a unique prerelease version, so no stale copy is used);
#   2. creates a FRESH console app and a FRESH xunit project (dotnet new) outside the repository, with a nuget.config
#      that adds the folder feed and keeps the machine's configured sources (no <clear/>, no URL);
#   3. references QuietStar.Core from the feed plus libtorch-cpu-linux-x64 2.10.0, and copies no file from the
#      repository except the packed .nupkg (the app writes its own tiny random model through the public API);
#   4. builds and runs the app (generation with thoughts), compiles the packaged README's C# examples, publishes and
#      runs the published app, checks that with the package's native fix turned off (SkipLibTorchSharpPatch=true) a
#      failed load reports its real cause, and runs the xunit test (dependency injection + generation).
# Prints one result line: "package-consumer: PASS (N s)" or "package-consumer: FAIL (N s): reason" (exit 0 / 1).
# The dotnet output goes to a log in the work folder; on failure its tail is shown with "Passed:"/"Failed:" reworded,
# so that nothing here can be counted as a test result by .ci/run's summary.
# KEEP_CONSUMER_WORK=1 keeps the work folder.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/quietstar-consumer.XXXXXX")
log="$work/dotnet.log"
cleanup() { if [ -z "${KEEP_CONSUMER_WORK:-}" ]; then rm -rf "$work"; else echo "package-consumer: kept $work"; fi; }
trap cleanup EXIT

elapsed() { echo "$(( $(date +%s) - start )) s"; }
step() { echo "package-consumer: $* ($(elapsed))"; }
fail() {
  echo "package-consumer: FAIL ($(elapsed)): $1"
  if [ -s "$log" ]; then
    echo "package-consumer: last lines of the dotnet log:"
    tail -n 40 "$log" | sed -E 's/(Passed|Failed|Skipped|Total):/\1 =/g; s/^/  | /'
  fi
  exit 1
}
run() { "$@" >>"$log" 2>&1; }   # dotnet output goes to the log only

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export OMP_WAIT_POLICY=PASSIVE
command -v dotnet >/dev/null || fail "dotnet SDK not found"
command -v unzip >/dev/null || fail "unzip not found (needed to read the packaged README)"

# --- 1. Pack into a folder feed --------------------------------------------------------------------------------
version="0.1.0-consumer.$(date -u +%Y%m%d%H%M%S)"
step "packing QuietStar.Core $version"
run dotnet pack "$repo/src/QuietStar.Core/QuietStar.Core.csproj" -c Release -o "$work/feed" -p:PackageVersion="$version" \
  || fail "dotnet pack failed"
nupkg="$work/feed/QuietStar.Core.$version.nupkg"
[ -f "$nupkg" ] || fail "no $nupkg"
for entry in README.md LICENSE build/QuietStar.Core.targets buildTransitive/QuietStar.Core.targets; do
  unzip -l "$nupkg" "$entry" >/dev/null 2>&1 || fail "the package lacks $entry"
done

# --- 2. A consumer's NuGet configuration ----------------------------------------------------------------------------
# No <clear/>: the machine's configured sources (user/machine NuGet.Config) stay. Packages are extracted into a
# private folder, with the machine's global packages folder as a read-only fallback: nothing is written to the
# user's cache, and QuietStar.Core can only come from this run's feed.
global_packages=$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: *//')
cat >"$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
  <packageSources>
    <add key="quietstar-local-feed" value="$work/feed" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine-packages" value="$global_packages" />
  </fallbackPackageFolders>
</configuration>
EOF

# The app's own tiny model: a byte-level tokenizer (256 byte symbols + <|endoftext|>) and a random 2-layer Llama,
# written as a Hugging Face folder through the public API. Shared by the console app and the xunit test.
tiny_model_cs='using System.Text.Json;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;

internal static class TinyModel
{
    /// <summary>Writes a random tiny Llama with a byte-level tokenizer into a new folder and returns it.</summary>
    public static string Write()
    {
        string root = Path.Combine(Path.GetTempPath(), "quietstar-tiny-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var vocabulary = new Dictionary<string, int>();
        int unprintable = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            vocabulary[((char)(printable ? b : unprintable++)).ToString()] = b;
        }

        vocabulary["<|endoftext|>"] = 256;
        string vocab = Path.Combine(root, "vocab.json"), merges = Path.Combine(root, "merges.txt");
        File.WriteAllText(vocab, JsonSerializer.Serialize(vocabulary));
        File.WriteAllText(merges, "#version: 0.2\n");
        var tokenizer = TextTokenizer.FromGpt2Bpe(vocab, merges);
        var config = new TransformerConfig
        {
            VocabSize = 257, HiddenSize = 32, IntermediateSize = 64, NumLayers = 2, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, MaxPositionEmbeddings = 128, TieWordEmbeddings = true, BosTokenId = 256, EosTokenId = 256,
        };
        string model = Path.Combine(root, "model");
        using (var lm = new CausalLanguageModel(config))  // CPU; its constructor is the first torch touch here
        {
            lm.InitializeWeights(new torch.Generator(7));
            PretrainedModel.Save(lm, tokenizer, model);
        }

        return model;
    }
}
'

# --- 3. A fresh console app -----------------------------------------------------------------------------------------
step "creating a console app (dotnet new console)"
cd "$work" || fail "cannot enter $work"
run dotnet new console -n ConsumerApp -o "$work/ConsumerApp" --no-restore || fail "dotnet new console failed"
cd "$work/ConsumerApp" || fail "no ConsumerApp"
run dotnet add package QuietStar.Core --version "$version" --no-restore || fail "dotnet add package QuietStar.Core failed"
run dotnet add package libtorch-cpu-linux-x64 --version 2.10.0 --no-restore || fail "dotnet add package libtorch-cpu-linux-x64 failed"
# For the README's dependency-injection example (ServiceCollection.BuildServiceProvider).
run dotnet add package Microsoft.Extensions.DependencyInjection --version 10.0.0 --no-restore || fail "dotnet add package Microsoft.Extensions.DependencyInjection failed"
printf '%s' "$tiny_model_cs" >TinyModel.cs
cat >Program.cs <<'EOF'
using System.Runtime.InteropServices;
using QuietStar.Core;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using TorchSharp;

// Before the first torch call: idle OpenMP threads sleep instead of spinning (false: the environment chose already).
bool passiveSet = QuietStarRuntime.UsePassiveOpenMpWait();
string folder = TinyModel.Write();
using var quiet = QuietStarBuilder.Create()
    .UseModel(ModelSource.HuggingFace(folder))
    .ConfigureOptions(o => { o.ThoughtTokens = 2; o.TalkTokens = 2; })
    .UseDevice(torch.CPU)
    .Build();

GeneratedText text = quiet.Generate("Hello", new GenerationOptions { MaxTokens = 8, Seed = 1, StopAtEos = false },
    new ThoughtOptions { Think = true, IncludeThoughts = true });
Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
Console.WriteLine($"consumer app: generated {text.TokenIds.Count} tokens with thoughts ({text.StopReason})");
Console.WriteLine($"consumer app: OMP_WAIT_POLICY set by the library: {passiveSet}; native getenv: {Marshal.PtrToStringUTF8(getenv("OMP_WAIT_POLICY")) ?? "(unset)"}; GOMP_SPINCOUNT: {Marshal.PtrToStringUTF8(getenv("GOMP_SPINCOUNT")) ?? "(unset)"}");

[DllImport("libc")]
static extern IntPtr getenv(string name);
EOF

# The packaged README's C# examples, compiled (not run: they need real models and data). Each ```csharp block
# becomes a method; its using directives go to the top of the file.
unzip -p "$nupkg" README.md >"$work/README.package.md" || fail "cannot read README.md from the package"
blocks=$(awk -v dir="$PWD" '
  /^```csharp[[:space:]]*$/ { inside = 1; n++; usings = ""; body = ""; next }
  inside && /^```[[:space:]]*$/ {
    inside = 0
    file = dir "/ReadmeExample" n ".cs"
    printf "%s\ninternal static class ReadmeExample%d\n{\n    internal static void Run()\n    {\n%s    }\n}\n", usings, n, body > file
    close(file)
    next
  }
  inside && /^using [A-Za-z0-9_.]+;[[:space:]]*$/ { usings = usings $0 "\n"; next }
  inside { body = body "        " $0 "\n" }
  END { print n + 0 }
' "$work/README.package.md")
[ "$blocks" -ge 3 ] || fail "the packaged README has $blocks C# examples (expected generation, training, evaluation, DI)"

step "building the console app ($blocks README examples included)"
run dotnet build || fail "the console app (with the README examples) does not build against the package"
step "running the console app (OMP_WAIT_POLICY and GOMP_SPINCOUNT unset: the app sets them through QuietStarRuntime)"
out=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT dotnet run --no-build 2>&1); status=$?
echo "$out" >>"$log"
[ $status -eq 0 ] || fail "the console app exited with $status: $(echo "$out" | grep -m1 -E 'Exception|error' || true)"
echo "$out" | grep -q "consumer app: generated" || fail "the console app printed no result"
echo "  $(echo "$out" | grep "consumer app: generated")"
echo "$out" | grep -q "OMP_WAIT_POLICY set by the library: True; native getenv: PASSIVE; GOMP_SPINCOUNT: 1000" \
  || fail "QuietStarRuntime.UsePassiveOpenMpWait did not reach native getenv: $(echo "$out" | grep OMP_WAIT_POLICY || true)"
echo "  $(echo "$out" | grep "OMP_WAIT_POLICY set by the library")"
step "running it again with GOMP_SPINCOUNT=1234 in the environment (the library keeps a spin count it is given)"
out=$(env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1234 dotnet run --no-build 2>&1); status=$?
echo "$out" >>"$log"
[ $status -eq 0 ] || fail "the console app exited with $status with GOMP_SPINCOUNT=1234"
echo "$out" | grep -q "OMP_WAIT_POLICY set by the library: True; native getenv: PASSIVE; GOMP_SPINCOUNT: 1234" \
  || fail "QuietStarRuntime.UsePassiveOpenMpWait replaced a spin count the environment gave: $(echo "$out" | grep OMP_WAIT_POLICY || true)"

step "publishing the console app (dotnet publish) and running the published app"
run dotnet publish -o "$work/published" || fail "dotnet publish of the console app failed"
published=$(dotnet "$work/published/ConsumerApp.dll" 2>&1); status=$?
echo "$published" >>"$log"
[ $status -eq 0 ] && echo "$published" | grep -q "consumer app: generated" || fail "the published console app exited with $status"
echo "  the published app ran"
rm -rf "$work/published"

# --- 4. The fix is what makes it load: without it, the failure names its real cause --------------------------------
step "checking the load failure without the package's fix (SkipLibTorchSharpPatch=true)"
run dotnet build -p:SkipLibTorchSharpPatch=true -p:CreateHardLinksForCopyLocalIfPossible=true -o "$work/unpatched" \
  || fail "the build with SkipLibTorchSharpPatch=true failed"
mkdir -p "$work/tmp"   # the app's tiny-model folder stays inside the work folder when the app dies
unpatched=$(TMPDIR="$work/tmp" dotnet "$work/unpatched/ConsumerApp.dll" 2>&1); unpatched_status=$?
echo "$unpatched" >>"$log"
if [ $unpatched_status -eq 0 ]; then
  echo "  the unpatched app loads too: this system's libstdc++ provides GLIBCXX_3.4.32"
elif echo "$unpatched" | grep -q "QuietStar.Core could not start TorchSharp: .*requires symbol version GLIBCXX_3.4.32"; then
  echo "  exit $unpatched_status: $(echo "$unpatched" | grep -m1 -o 'QuietStar.Core could not start TorchSharp: [^(]*')"
else
  fail "without the fix the app failed (exit $unpatched_status) without naming GLIBCXX_3.4.32: $(echo "$unpatched" | grep -m1 Exception || true)"
fi
rm -rf "$work/unpatched"

# --- 5. A fresh xunit project ---------------------------------------------------------------------------------------
step "creating an xunit project (dotnet new xunit)"
cd "$work" || fail "cannot enter $work"
run dotnet new xunit -n ConsumerTests -o "$work/ConsumerTests" --no-restore || fail "dotnet new xunit failed"
cd "$work/ConsumerTests" || fail "no ConsumerTests"
run dotnet add package QuietStar.Core --version "$version" --no-restore || fail "dotnet add package QuietStar.Core failed"
run dotnet add package libtorch-cpu-linux-x64 --version 2.10.0 --no-restore || fail "dotnet add package libtorch-cpu-linux-x64 failed"
run dotnet add package Microsoft.Extensions.DependencyInjection --version 10.0.0 --no-restore || fail "dotnet add package Microsoft.Extensions.DependencyInjection failed"
rm -f UnitTest1.cs
printf '%s' "$tiny_model_cs" >TinyModel.cs
cat >PipelineTests.cs <<'EOF'
using Microsoft.Extensions.DependencyInjection;
using QuietStar.Core;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;

public class PipelineTests
{
    [Fact]
    public void AddQuietStar_builds_a_pipeline_that_generates_with_thoughts()
    {
        string folder = TinyModel.Write();
        try
        {
            var services = new ServiceCollection();
            services.AddQuietStar(b => b.UseModel(ModelSource.HuggingFace(folder)).ConfigureOptions(o => { o.ThoughtTokens = 2; o.TalkTokens = 2; }));
            using var provider = services.BuildServiceProvider();
            var quiet = provider.GetRequiredService<QuietStarPipeline>();

            var text = quiet
                .Generate("Hi", new GenerationOptions { MaxTokens = 4, Seed = 3, StopAtEos = false }, new ThoughtOptions());

            Assert.Equal(2, quiet.Options.ThoughtTokens);
            Assert.InRange(text.TokenIds.Count, 1, 4);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }
}
EOF
# A downstream unit test as the packaged README suggests: the package's own tiny model (no files), streamed
# generation with thoughts, and the IChatClient (Microsoft.Extensions.AI.Abstractions comes with the package).
cat >TinyModelTests.cs <<'EOF'
using Microsoft.Extensions.AI;
using QuietStar.Core;
using QuietStar.Core.Inference;
using QuietStar.Core.Testing;

public class TinyModelTests
{
    [Fact]
    public async Task The_packaged_tiny_model_streams_tokens_with_thoughts()
    {
        using var quiet = TestModels.TinyPipeline(seed: 1);
        var pieces = new List<GenerationPiece>();
        await foreach (var piece in quiet.GenerateAsync("Hello", new GenerationOptions { MaxTokens = 4, Greedy = true, Seed = 1, StopAtEos = false }))
            pieces.Add(piece);

        Assert.Equal(4, pieces.Count);
        Assert.All(pieces, p => Assert.NotNull(p.Thought));
        Assert.All(pieces, p => Assert.True(float.IsFinite(p.MixingWeight!.Value)));
    }

    [Fact]
    public async Task The_chat_client_streams_thoughts_as_reasoning_content()
    {
        using var quiet = TestModels.TinyPipeline(seed: 2);
        IChatClient chat = quiet.AsChatClient();
        var reasoning = 0;
        await foreach (var update in chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Temperature = 0, MaxOutputTokens = 3 }))
            reasoning += update.Contents.OfType<TextReasoningContent>().Count();

        Assert.Equal(3, reasoning);
    }
}
EOF
step "running the xunit tests (dotnet test)"
tests_log="$work/tests.log"
dotnet test >"$tests_log" 2>&1; test_status=$?
cat "$tests_log" >>"$log"
passed=$(grep -Eo 'Passed: +[0-9]+' "$tests_log" | awk '{ n += $2 } END { print n + 0 }')
[ $test_status -eq 0 ] && [ "$passed" -ge 3 ] || fail "dotnet test of the fresh xunit project failed (exit $test_status, $passed passed)"
echo "  the consumer's $passed xunit tests passed (DI; the packaged tiny model streaming with thoughts; the chat client)"

echo "package-consumer: PASS ($(elapsed)): packed $version; console app built, ran and published; $blocks README examples compiled; $passed xunit tests passed"
