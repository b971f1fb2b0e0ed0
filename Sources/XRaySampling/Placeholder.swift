public enum SamplingPlaceholder {}
