namespace QuietStar.Core.Inference;

/// <summary>Why a generation ended.</summary>
public enum StopReason
{
    /// <summary><see cref="GenerationOptions.MaxTokens"/> tokens were generated.</summary>
    MaxTokens,

    /// <summary>The model produced one of <see cref="TextGenerator.StopTokenIds"/>.</summary>
    StopToken,

    /// <summary>The continuation reached one of <see cref="GenerationOptions.StopStrings"/>.</summary>
    StopString,
}
