using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using QuietStar.Core;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Testing;
using TorchSharp;

namespace QuietStar.Web;

/// <summary>
/// The web sample: a page (<c>/</c>) where a prompt's continuation streams token by token with each hidden thought and
/// its mixing weight shown inline, fed by server-sent events from <c>/api/generate</c>; and a page (<c>/inspect</c>) with
/// the per-token picture of a text (thought, mixing weight, NLL with and without it) from <c>/api/inspect</c>.
/// </summary>
public static class QuietStarWeb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Builds the app (not started) from command-line arguments and configuration.</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--QuietStar:Model=runs/…/checkpoint --urls=http://localhost:5000</c>.</param>
    /// <param name="configure">Further changes to the builder before the app is built (tests set the URL and options).</param>
    /// <exception cref="InvalidOperationException">The model cannot be loaded; the message names the cause.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.Configure<QuietStarWebOptions>(builder.Configuration.GetSection(QuietStarWebOptions.Section));
        builder.Services.AddSingleton(services => CreatePipeline(services.GetRequiredService<IOptions<QuietStarWebOptions>>().Value));
        builder.Services.AddSingleton(services => new RequestLimits(services.GetRequiredService<IOptions<QuietStarWebOptions>>().Value));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.Services.GetRequiredService<IOptions<QuietStarWebOptions>>().Value.Validate();  // bad limits stop the start, named
        _ = app.Services.GetRequiredService<QuietStarPipeline>();  // load the model now: a bad path fails at start, not at the first request

        string page = ReadPage("index.html"), inspectPage = ReadPage("inspect.html");
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/inspect", () => Results.Content(inspectPage, "text/html; charset=utf-8"));
        app.MapGet("/api/info", (QuietStarPipeline pipeline) => Results.Json(new
        {
            model = pipeline.ModelDescription,
            thoughtTokens = pipeline.Options.ThoughtTokens,
            talkTokens = pipeline.Options.TalkTokens,
            decoding = pipeline.Options.Decoding.ToString(),
            context = pipeline.Model.LanguageModel.Config.MaxPositionEmbeddings,
        }, Json));
        app.MapGet("/api/generate", GenerateAsync);
        app.MapGet("/api/inspect", InspectAsync);
        return app;
    }

    /// <summary>
    /// Streams a continuation as server-sent events: <c>piece</c> events (<c>{index, text, thought, weight, talkStep}</c>),
    /// then one <c>done</c> event (<c>{text, tokens}</c>), or an <c>error</c> event. Bad input gets 400 with a JSON
    /// <c>{error}</c> before any event; more than <see cref="QuietStarWebOptions.MaxStreams"/> streams at once get 503.
    /// </summary>
    private static async Task GenerateAsync(HttpContext context, QuietStarPipeline pipeline, RequestLimits limits, IOptions<QuietStarWebOptions> settings,
        string? prompt, int? maxTokens, bool? greedy, long? seed, bool? think, double? temperature, bool? stopAtEos)
    {
        var options = settings.Value;
        var response = context.Response;
        if (prompt is null)
        {
            await Refuse(response, 400, "Give a prompt: /api/generate?prompt=…");
            return;
        }

        int tokens = maxTokens ?? Math.Min(32, options.MaxTokens);
        if (tokens < 1 || tokens > options.MaxTokens)
        {
            await Refuse(response, 400, $"maxTokens must be between 1 and {options.MaxTokens}, got {tokens}.");
            return;
        }

        var generation = new GenerationOptions
        {
            MaxTokens = tokens,
            Greedy = greedy ?? true,
            Seed = seed ?? 1,
            Temperature = temperature ?? 1.0,
            StopAtEos = stopAtEos ?? true,
        };
        var thoughts = think == false ? ThoughtOptions.None : new ThoughtOptions { IncludeThoughts = true };
        IAsyncEnumerable<GenerationPiece> pieces;
        try
        {
            pieces = pipeline.GenerateAsync(prompt, generation, thoughts, context.RequestAborted);
        }
        catch (ArgumentException ex)
        {
            await Refuse(response, 400, ex.Message);
            return;
        }

        var limit = limits.Streams;
        if (!limit.TryEnter())
        {
            await Refuse(response, 503, $"The server is busy: {limit.Capacity} streams are running or waiting. Try again shortly.");
            return;
        }

        try
        {
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            await response.Body.FlushAsync(context.RequestAborted);
            var text = new System.Text.StringBuilder();
            int count = 0;
            try
            {
                await foreach (var piece in pieces)
                {
                    count++;
                    text.Append(piece.Text);
                    await Send(response, "piece", new
                    {
                        index = piece.Index,
                        text = piece.Text,
                        thought = piece.Thought,
                        weight = piece.MixingWeight,
                        talkStep = piece.Details?.TalkStep,
                    }, context.RequestAborted);
                }

                await Send(response, "done", new { text = text.ToString(), tokens = count }, context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client left; the generation stopped at its next token.
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                await Send(response, "error", new { error = ex.Message }, CancellationToken.None);
            }
        }
        finally
        {
            limit.Exit();
        }
    }

    /// <summary>
    /// The per-token picture of a text (<see cref="QuietStarPipeline.InspectAsync"/>) as JSON: <c>{tokens: [{position, text,
    /// thought, mixingWeight, baseNll, afterThoughtNll, gain}], meanGain}</c>; bad input gets 400 with <c>{error}</c>, and
    /// more than <see cref="QuietStarWebOptions.MaxInspections"/> inspections at once (running or waiting) get 503.
    /// </summary>
    private static async Task<IResult> InspectAsync(HttpContext context, QuietStarPipeline pipeline, RequestLimits limits, string? text, long? seed)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Results.Json(new { error = "Give a text: /api/inspect?text=…" }, Json, statusCode: 400);
        }

        var limit = limits.Inspections;
        if (!limit.TryEnter())
        {
            return Results.Json(new { error = $"The server is busy: {limit.Capacity} inspections are running or waiting. Try again shortly." },
                Json, statusCode: 503);
        }

        try
        {
            var tokens = await pipeline.InspectAsync(text, seed ?? 1, context.RequestAborted);
            return Results.Json(new { tokens, meanGain = tokens.Average(t => t.Gain) }, Json);
        }
        catch (ArgumentException ex)
        {
            return Results.Json(new { error = ex.Message }, Json, statusCode: 400);
        }
        finally
        {
            limit.Exit();
        }
    }

    private static async Task Send(HttpResponse response, string name, object data, CancellationToken cancellationToken)
    {
        await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static Task Refuse(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        return response.WriteAsJsonAsync(new { error = message });
    }

    /// <summary>The pipeline the app serves, from the options (see <see cref="QuietStarWebOptions.Model"/>).</summary>
    private static QuietStarPipeline CreatePipeline(QuietStarWebOptions options)
    {
        if (options.Tiny)
        {
            return TestModels.TinyPipeline(options.TinySeed);
        }

        string model = options.Model ?? Path.Combine(AppContext.BaseDirectory, "models", "arithmetic");
        var source = ModelSource.FromPath(model, options.Tokenizer);
        var builder = QuietStarBuilder.Create().UseModel(source).UseDevice(torch.CPU);
        if (!source.IsCheckpoint)
        {
            builder.ConfigureOptions(o =>
            {
                o.ThoughtTokens = options.ThoughtTokens;
                o.TalkTokens = options.TalkTokens;
                o.ThoughtInitText = options.ThoughtInitText;
                o.EndThoughtInitText = options.EndThoughtInitText;
                o.Decoding = options.Decoding;
            });
        }

        return builder.Build();
    }

    private static string ReadPage(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"QuietStar.Web.{name}")
            ?? throw new InvalidOperationException($"The page resource QuietStar.Web.{name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The admission counts: streams and inspections, each bounded by its own setting.</summary>
    internal sealed class RequestLimits(QuietStarWebOptions options)
    {
        /// <summary>Generation streams admitted at once.</summary>
        public Admission Streams { get; } = new(options.MaxStreams);

        /// <summary>Inspections admitted at once.</summary>
        public Admission Inspections { get; } = new(options.MaxInspections);
    }

    /// <summary>Counts the requests of one kind admitted at once.</summary>
    internal sealed class Admission(int capacity)
    {
        private int admitted;

        public int Capacity { get; } = capacity;

        public bool TryEnter()
        {
            if (Interlocked.Increment(ref admitted) <= Capacity)
            {
                return true;
            }

            Interlocked.Decrement(ref admitted);
            return false;
        }

        public void Exit() => Interlocked.Decrement(ref admitted);
    }
}
