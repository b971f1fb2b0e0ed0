public enum CollectorPlaceholder {}
