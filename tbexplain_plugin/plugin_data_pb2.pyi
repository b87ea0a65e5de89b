from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExplainPluginData(_message.Message):
    __slots__ = ("version", "kind", "method", "layer", "signed", "encoding", "inputs_tag", "stage", "layout", "input_name", "feature_names", "mask_tag")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[ExplainPluginData.Kind]
        EXPLANATION: _ClassVar[ExplainPluginData.Kind]
        INPUTS: _ClassVar[ExplainPluginData.Kind]
        ACTIVATIONS: _ClassVar[ExplainPluginData.Kind]
        FILTERS: _ClassVar[ExplainPluginData.Kind]
    KIND_UNSPECIFIED: ExplainPluginData.Kind
    EXPLANATION: ExplainPluginData.Kind
    INPUTS: ExplainPluginData.Kind
    ACTIVATIONS: ExplainPluginData.Kind
    FILTERS: ExplainPluginData.Kind
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    SIGNED_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    INPUTS_TAG_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    INPUT_NAME_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    MASK_TAG_FIELD_NUMBER: _ClassVar[int]
    version: int
    kind: ExplainPluginData.Kind
    method: str
    layer: str
    signed: bool
    encoding: str
    inputs_tag: str
    stage: str
    layout: str
    input_name: str
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    mask_tag: str
    def __init__(self, version: _Optional[int] = ..., kind: _Optional[_Union[ExplainPluginData.Kind, str]] = ..., method: _Optional[str] = ..., layer: _Optional[str] = ..., signed: bool = ..., encoding: _Optional[str] = ..., inputs_tag: _Optional[str] = ..., stage: _Optional[str] = ..., layout: _Optional[str] = ..., input_name: _Optional[str] = ..., feature_names: _Optional[_Iterable[str]] = ..., mask_tag: _Optional[str] = ...) -> None: ...
