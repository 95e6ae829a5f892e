"""NHI (全民健康保險) rules and formats, one module per rule family. Pure: no I/O."""
